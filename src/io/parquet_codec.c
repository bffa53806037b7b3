/*
 * parquet_codec.c - Parquet page compression through the system's codec libraries
 * (zlib, snappy, zstd, lz4, brotli); see parquet_codec.h for the contract.
 *
 * Every decompressor is told the exact output size and checks that the codec produced
 * exactly that many bytes: the libraries all take an output capacity, so a corrupt or
 * lying page can never write past dst, and a short result is an error rather than a page
 * with undefined bytes at its end.
 */
#include "io/parquet_codec.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <limits.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

bool pq_codec_supported(int32_t codec) {
  return codec >= PQ_CODEC_UNCOMPRESSED && codec <= PQ_CODEC_LZ4_RAW && codec != PQ_CODEC_LZO;
}

static cy_status size_mismatch(const char *codec, int64_t got, int64_t want, cy_error *err) {
  cy_error_set(err, "%s data decompressed to %lld bytes, the page header says %lld", codec,
               (long long)got, (long long)want);
  return CY_EINVAL;
}

static cy_status corrupt(const char *codec, const char *detail, cy_error *err) {
  cy_error_set(err, "corrupt %s data%s%s", codec, detail ? ": " : "", detail ? detail : "");
  return CY_EINVAL;
}

/* ---- decompressors ------------------------------------------------------------------- */

static cy_status snappy_dec(const uint8_t *src, int64_t n, uint8_t *dst, int64_t dst_len,
                            cy_error *err) {
  size_t ulen;
  if (snappy_uncompressed_length((const char *)src, (size_t)n, &ulen) != SNAPPY_OK)
    return corrupt("snappy", "bad length preamble", err);
  if ((int64_t)ulen != dst_len) return size_mismatch("snappy", (int64_t)ulen, dst_len, err);
  size_t out = (size_t)dst_len;
  if (snappy_uncompress((const char *)src, (size_t)n, (char *)dst, &out) != SNAPPY_OK)
    return corrupt("snappy", NULL, err);
  if ((int64_t)out != dst_len) return size_mismatch("snappy", (int64_t)out, dst_len, err);
  return CY_OK;
}

/* gzip (or zlib) streams; several gzip members one after another are one stream. */
static cy_status gzip_dec(const uint8_t *src, int64_t n, uint8_t *dst, int64_t dst_len,
                          cy_error *err) {
  if (n > UINT_MAX || dst_len > UINT_MAX) return corrupt("gzip", "page too large", err);
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 15 + 32) != Z_OK) {
    cy_error_set(err, "gzip: cannot start inflate (out of memory)");
    return CY_ENOMEM;
  }
  z.next_in = (Bytef *)src;
  z.avail_in = (uInt)n;
  z.next_out = dst;
  z.avail_out = (uInt)dst_len;
  cy_status st = CY_OK;
  for (;;) {
    int rc = inflate(&z, Z_FINISH);
    if (rc == Z_STREAM_END) {
      /* Another member may follow (skip zero padding some writers leave). */
      while (z.avail_in > 0 && *z.next_in == 0) z.next_in++, z.avail_in--;
      if (z.avail_in == 0) break;
      if (inflateReset(&z) != Z_OK) {
        st = corrupt("gzip", "cannot restart for the next member", err);
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_out == 0) {
      st = corrupt("gzip", "more data than the page header says", err);
    } else {
      st = corrupt("gzip", z.msg ? z.msg : "truncated stream", err);
    }
    break;
  }
  int64_t got = dst_len - z.avail_out;
  inflateEnd(&z);
  if (st == CY_OK && got != dst_len) return size_mismatch("gzip", got, dst_len, err);
  return st;
}

static cy_status zstd_dec(const uint8_t *src, int64_t n, uint8_t *dst, int64_t dst_len,
                          cy_error *err) {
  size_t got = ZSTD_decompress(dst, (size_t)dst_len, src, (size_t)n);
  if (ZSTD_isError(got)) return corrupt("zstd", ZSTD_getErrorName(got), err);
  if ((int64_t)got != dst_len) return size_mismatch("zstd", (int64_t)got, dst_len, err);
  return CY_OK;
}

static cy_status lz4_raw_dec(const uint8_t *src, int64_t n, uint8_t *dst, int64_t dst_len,
                             cy_error *err) {
  if (n > INT_MAX || dst_len > INT_MAX) return corrupt("LZ4", "page too large", err);
  int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
  if (got < 0) return corrupt("LZ4", NULL, err);
  if (got != dst_len) return size_mismatch("LZ4", got, dst_len, err);
  return CY_OK;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop's framing: blocks of [BE32 uncompressed size][chunks of BE32 size + LZ4 block]
 * until the block's uncompressed bytes are produced. False when src is not that. */
static bool hadoop_lz4_dec(const uint8_t *src, int64_t n, uint8_t *dst, int64_t dst_len) {
  int64_t in = 0, out = 0;
  while (in < n) {
    if (n - in < 8) return false;
    int64_t block = be32(src + in);
    in += 4;
    if (block > dst_len - out) return false;
    int64_t block_end = out + block;
    while (out < block_end) {
      if (n - in < 4) return false;
      int64_t clen = be32(src + in);
      in += 4;
      if (clen > n - in || clen > INT_MAX) return false;
      int got = LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)clen,
                                    (int)(block_end - out));
      if (got <= 0) return false;
      in += clen;
      out += got;
    }
  }
  return out == dst_len;
}

static bool lz4_frame_dec(const uint8_t *src, int64_t n, uint8_t *dst, int64_t dst_len) {
  LZ4F_dctx *ctx;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) return false;
  int64_t in = 0, out = 0;
  bool ok = false;
  for (;;) {
    size_t dst_size = (size_t)(dst_len - out), src_size = (size_t)(n - in);
    size_t rc = LZ4F_decompress(ctx, dst + out, &dst_size, src + in, &src_size, NULL);
    if (LZ4F_isError(rc)) break;
    in += (int64_t)src_size;
    out += (int64_t)dst_size;
    if (rc == 0) { /* a frame ended; another may follow */
      if (in == n) {
        ok = out == dst_len;
        break;
      }
      continue;
    }
    if (src_size == 0 && dst_size == 0) break; /* no progress: truncated or overlong */
  }
  LZ4F_freeDecompressionContext(ctx);
  return ok;
}

static cy_status lz4_hadoop_dec(const uint8_t *src, int64_t n, uint8_t *dst, int64_t dst_len,
                                cy_error *err) {
  if (hadoop_lz4_dec(src, n, dst, dst_len)) return CY_OK;
  if (lz4_frame_dec(src, n, dst, dst_len)) return CY_OK;
  if (lz4_raw_dec(src, n, dst, dst_len, err) == CY_OK) return CY_OK;
  return corrupt("LZ4", "neither the Hadoop framing, an LZ4 frame nor a raw block", err);
}

static cy_status brotli_dec(const uint8_t *src, int64_t n, uint8_t *dst, int64_t dst_len,
                            cy_error *err) {
  size_t got = (size_t)dst_len;
  BrotliDecoderResult rc = BrotliDecoderDecompress((size_t)n, src, &got, dst);
  if (rc != BROTLI_DECODER_RESULT_SUCCESS)
    return corrupt("brotli", rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT
                                 ? "more data than the page header says"
                                 : NULL,
                   err);
  if ((int64_t)got != dst_len) return size_mismatch("brotli", (int64_t)got, dst_len, err);
  return CY_OK;
}

cy_status pq_decompress(int32_t codec, const uint8_t *src, int64_t src_len, uint8_t *dst,
                        int64_t dst_len, cy_error *err) {
  if (src_len < 0 || dst_len < 0) {
    cy_error_set(err, "negative page size");
    return CY_EINVAL;
  }
  switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
      if (src_len != dst_len) return size_mismatch("uncompressed", src_len, dst_len, err);
      if (dst_len) memcpy(dst, src, (size_t)dst_len);
      return CY_OK;
    case PQ_CODEC_SNAPPY: return snappy_dec(src, src_len, dst, dst_len, err);
    case PQ_CODEC_GZIP: return gzip_dec(src, src_len, dst, dst_len, err);
    case PQ_CODEC_ZSTD: return zstd_dec(src, src_len, dst, dst_len, err);
    case PQ_CODEC_LZ4_RAW: return lz4_raw_dec(src, src_len, dst, dst_len, err);
    case PQ_CODEC_LZ4: return lz4_hadoop_dec(src, src_len, dst, dst_len, err);
    case PQ_CODEC_BROTLI: return brotli_dec(src, src_len, dst, dst_len, err);
    case PQ_CODEC_LZO:
      cy_error_set(err, "LZO compression is not supported");
      return CY_ENOTSUP;
    default:
      cy_error_set(err, "unknown compression codec %d", (int)codec);
      return CY_ENOTSUP;
  }
}

/* ---- compressors --------------------------------------------------------------------- */

int64_t pq_compress_bound(int32_t codec, int64_t n) {
  switch (codec) {
    case PQ_CODEC_SNAPPY: return (int64_t)snappy_max_compressed_length((size_t)n);
    case PQ_CODEC_GZIP: return (int64_t)compressBound((uLong)n) + 64;
    case PQ_CODEC_ZSTD: return (int64_t)ZSTD_compressBound((size_t)n);
    case PQ_CODEC_LZ4_RAW: return n > LZ4_MAX_INPUT_SIZE ? -1 : LZ4_compressBound((int)n);
    case PQ_CODEC_BROTLI: return (int64_t)BrotliEncoderMaxCompressedSize((size_t)n) + 64;
    default: return n;
  }
}

static cy_status gzip_enc(int level, const uint8_t *src, int64_t n, uint8_t *dst,
                          int64_t cap, int64_t *out_len, cy_error *err) {
  if (n > UINT_MAX || cap > UINT_MAX) {
    cy_error_set(err, "gzip: page of %lld bytes is too large", (long long)n);
    return CY_EINVAL;
  }
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    cy_error_set(err, "gzip: cannot start deflate (level %d)", level);
    return CY_EINVAL;
  }
  z.next_in = (Bytef *)src;
  z.avail_in = (uInt)n;
  z.next_out = dst;
  z.avail_out = (uInt)cap;
  int rc = deflate(&z, Z_FINISH);
  *out_len = (int64_t)z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    cy_error_set(err, "gzip: compression failed (%d)", rc);
    return CY_EIO;
  }
  return CY_OK;
}

cy_status pq_compress(int32_t codec, int level, const uint8_t *src, int64_t n, uint8_t *dst,
                      int64_t cap, int64_t *out_len, cy_error *err) {
  *out_len = 0;
  int64_t bound = pq_compress_bound(codec, n);
  if (bound < 0 || cap < bound) {
    cy_error_set(err, "%s: output of %lld bytes is below the bound %lld", pq_codec_name(codec),
                 (long long)cap, (long long)bound);
    return CY_EINVAL;
  }
  switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
      if (n) memcpy(dst, src, (size_t)n);
      *out_len = n;
      return CY_OK;
    case PQ_CODEC_SNAPPY: {
      size_t out = (size_t)cap;
      if (snappy_compress((const char *)src, (size_t)n, (char *)dst, &out) != SNAPPY_OK) {
        cy_error_set(err, "snappy: compression failed");
        return CY_EIO;
      }
      *out_len = (int64_t)out;
      return CY_OK;
    }
    case PQ_CODEC_GZIP: return gzip_enc(level, src, n, dst, cap, out_len, err);
    case PQ_CODEC_ZSTD: {
      size_t out = ZSTD_compress(dst, (size_t)cap, src, (size_t)n, level ? level : 3);
      if (ZSTD_isError(out)) {
        cy_error_set(err, "zstd: %s", ZSTD_getErrorName(out));
        return CY_EIO;
      }
      *out_len = (int64_t)out;
      return CY_OK;
    }
    case PQ_CODEC_LZ4_RAW: {
      int out = LZ4_compress_default((const char *)src, (char *)dst, (int)n, (int)cap);
      if (out <= 0 && n > 0) {
        cy_error_set(err, "LZ4: compression failed");
        return CY_EIO;
      }
      *out_len = out;
      return CY_OK;
    }
    case PQ_CODEC_BROTLI: {
      size_t out = (size_t)cap;
      if (!BrotliEncoderCompress(level ? level : 5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
                                 (size_t)n, src, &out, dst)) {
        cy_error_set(err, "brotli: compression failed");
        return CY_EIO;
      }
      *out_len = (int64_t)out;
      return CY_OK;
    }
    default:
      cy_error_set(err, "writing %s compression is not supported", pq_codec_name(codec));
      return CY_ENOTSUP;
  }
}

uint32_t pq_crc32(const uint8_t *data, int64_t len) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (len > 0) {
    uInt chunk = len > (1 << 30) ? (1u << 30) : (uInt)len;
    crc = crc32(crc, data, chunk);
    data += chunk;
    len -= chunk;
  }
  return (uint32_t)crc;
}

/* ---- cylon's compression names ------------------------------------------------------- */

int32_t pq_codec_from_compression(cy_compression c) {
  switch (c) {
    case CY_COMPRESSION_NONE: return PQ_CODEC_UNCOMPRESSED;
    case CY_COMPRESSION_SNAPPY: return PQ_CODEC_SNAPPY;
    case CY_COMPRESSION_GZIP: return PQ_CODEC_GZIP;
    case CY_COMPRESSION_ZSTD: return PQ_CODEC_ZSTD;
    case CY_COMPRESSION_LZ4_RAW: return PQ_CODEC_LZ4_RAW;
    case CY_COMPRESSION_LZ4: return PQ_CODEC_LZ4;
    case CY_COMPRESSION_BROTLI: return PQ_CODEC_BROTLI;
  }
  return -1;
}

static const struct {
  const char *name;
  cy_compression c;
} compression_names[] = {
    {"none", CY_COMPRESSION_NONE},       {"uncompressed", CY_COMPRESSION_NONE},
    {"snappy", CY_COMPRESSION_SNAPPY},   {"gzip", CY_COMPRESSION_GZIP},
    {"zstd", CY_COMPRESSION_ZSTD},       {"lz4_raw", CY_COMPRESSION_LZ4_RAW},
    {"lz4", CY_COMPRESSION_LZ4_RAW},     /* DuckDB's and Arrow's "lz4" is LZ4_RAW */
    {"lz4_hadoop", CY_COMPRESSION_LZ4},  {"brotli", CY_COMPRESSION_BROTLI},
};

cy_status cy_compression_parse(const char *name, cy_compression *out, cy_error *err) {
  for (size_t i = 0; i < sizeof compression_names / sizeof compression_names[0]; i++)
    if (strcasecmp(name, compression_names[i].name) == 0) {
      *out = compression_names[i].c;
      return CY_OK;
    }
  cy_error_set(err,
               "unknown compression '%s' (known: none, snappy, gzip, zstd, lz4_raw, lz4, "
               "lz4_hadoop, brotli)",
               name);
  return CY_EINVAL;
}

const char *cy_compression_name(cy_compression c) {
  switch (c) {
    case CY_COMPRESSION_NONE: return "none";
    case CY_COMPRESSION_SNAPPY: return "snappy";
    case CY_COMPRESSION_GZIP: return "gzip";
    case CY_COMPRESSION_ZSTD: return "zstd";
    case CY_COMPRESSION_LZ4_RAW: return "lz4_raw";
    case CY_COMPRESSION_LZ4: return "lz4_hadoop";
    case CY_COMPRESSION_BROTLI: return "brotli";
  }
  return "unknown";
}
