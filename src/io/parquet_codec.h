/*
 * parquet_codec.h - page compression for Parquet (private to the io layer): decompress
 * for the reader, compress for the writer, with the codecs numbered as Parquet numbers
 * them (pq_codec in parquet_meta.h).
 *
 * Decompression always knows the exact size to expect (the page header's
 * uncompressed_page_size) and fails unless the codec produces exactly that many bytes,
 * so a lying header can neither overflow the output nor leave part of it undefined.
 *
 *   UNCOMPRESSED  copy
 *   SNAPPY        raw snappy blocks (snappy-c.h)
 *   GZIP          zlib's inflate with gzip or zlib headers, concatenated gzip members
 *   ZSTD          one or more zstd frames
 *   LZ4_RAW       one LZ4 block
 *   LZ4           the Hadoop framing (repeated: 4-byte big-endian uncompressed size,
 *                 4-byte big-endian compressed size, LZ4 block), falling back to an LZ4
 *                 frame and then a raw block, as older writers used all three
 *   BROTLI        brotli stream
 */
#ifndef CYLON_IO_PARQUET_CODEC_H
#define CYLON_IO_PARQUET_CODEC_H

#include "cylon/io.h"
#include "io/parquet_meta.h"

/* True when this build can decompress pages of codec (a pq_codec). */
bool pq_codec_supported(int32_t codec);

/* Decompress src[0, src_len) into exactly dst_len bytes at dst. Errors (CY_EINVAL for
 * corrupt data or a size mismatch, CY_ENOTSUP for LZO or an unknown codec) say what was
 * wrong; the caller prefixes where. */
cy_status pq_decompress(int32_t codec, const uint8_t *src, int64_t src_len, uint8_t *dst,
                        int64_t dst_len, cy_error *err);

/* The most bytes pq_compress may write for src_len input bytes. */
int64_t pq_compress_bound(int32_t codec, int64_t src_len);
/* Compress src[0, src_len) into dst (capacity dst_cap, at least pq_compress_bound);
 * *out_len is the compressed size. level 0 = the codec's default. LZ4 (Hadoop) and LZO
 * are not written (CY_ENOTSUP). */
cy_status pq_compress(int32_t codec, int level, const uint8_t *src, int64_t src_len,
                      uint8_t *dst, int64_t dst_cap, int64_t *out_len, cy_error *err);

/* The Parquet codec for a cylon compression setting, and back. */
int32_t pq_codec_from_compression(cy_compression c);

/* CRC-32 (the gzip / zlib polynomial) of data[0, len), as page headers hold it. */
uint32_t pq_crc32(const uint8_t *data, int64_t len);

#endif
