/*
 * print.c - a table as a box of text, the way DuckDB's command line shows a result.
 *
 *   ┌───────┬─────────┐
 *   │   k   │    v    │
 *   │ int64 │  utf8   │
 *   ├───────┼─────────┤
 *   │     1 │ one     │
 *   │     · │    ·    │
 *   │     9 │ NULL    │
 *   └───────┴─────────┘
 *   3 rows (2 shown)  2 columns
 *
 * Names and types are centred, numbers right-aligned, everything else left-aligned. When
 * the table has more than max_rows rows, the first and last halves are shown with a row of
 * "·" between them. Cells wider than max_col_width are cut and end in "…". When the columns
 * do not fit in max_width, columns are taken from both ends towards the middle and a "…"
 * column stands for the rest. The footer counts rows and columns, saying how many are shown
 * when some are not.
 *
 * Widths are terminal columns: one per UTF-8 character, two for East Asian wide characters,
 * none for combining marks. So that one cell is always one line of known width, control
 * characters (C0, DEL and C1) are shown escaped (\n, \t, \r, \xNN) and so are bytes that
 * are not UTF-8.
 *
 * How it works: every cell to be shown is first rendered (escaped and cut) into one text
 * arena and its width recorded; the column widths and the columns that fit follow from
 * those; then the lines are assembled in a growing buffer and written once.
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/core.h"

/* A growing byte buffer; `failed` is set when memory runs out and stays set. */
typedef struct text {
  char *data;
  size_t len, cap;
  bool failed;
} text;

static void text_put(text *t, const void *s, size_t n) {
  if (t->failed || n == 0) return;
  if (t->len + n > t->cap) {
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < t->len + n) cap *= 2;
    char *d = realloc(t->data, cap);
    if (d == NULL) {
      t->failed = true;
      return;
    }
    t->data = d;
    t->cap = cap;
  }
  memcpy(t->data + t->len, s, n);
  t->len += n;
}

static void text_puts(text *t, const char *s) { text_put(t, s, strlen(s)); }

static void text_repeat(text *t, const char *s, int64_t times) {
  for (int64_t i = 0; i < times; i++) text_puts(t, s);
}

/* ---- display width of UTF-8 text ---------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes available) and its code point, or 0. */
static int utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
  int len;
  uint32_t c = s[0], min;
  if (c >= 0xc2 && c <= 0xdf) len = 2, c &= 0x1f, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) len = 3, c &= 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, c &= 0x07, min = 0x10000;
  else return 0;
  if ((size_t)len > n) return 0;
  for (int i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  *cp = c;
  return len;
}

/* Terminal columns of a code point above ASCII: 0 for combining marks and zero-width
 * characters, 2 for the East Asian wide and emoji blocks, else 1. */
static int code_point_width(uint32_t c) {
  if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) || c == 0xfeff ||
      (c >= 0xfe00 && c <= 0xfe0f))
    return 0;
  if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
      (c >= 0x3041 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff) ||
      (c >= 0x20000 && c <= 0x3fffd))
    return 2;
  return 1;
}

/* ---- cells ------------------------------------------------------------------------- */

typedef struct cell {
  size_t start, len; /* bytes in the arena */
  int32_t width;     /* terminal columns */
} cell;

/*
 * Append the display form of s[0, n) to the arena: control characters and invalid bytes
 * escaped, cut to max_width columns with a final "…" when longer (or when `more` says the
 * caller already dropped a tail).
 */
static cell render(text *arena, const char *s, size_t n, bool more, int32_t max_width) {
  static const char hex[] = "0123456789ABCDEF";
  cell c = {arena->len, 0, 0};
  size_t cut_len = arena->len; /* arena length and width while there is room for … */
  int32_t cut_width = 0, width = 0;
  const uint8_t *u = (const uint8_t *)s;
  for (size_t i = 0; i < n && width <= max_width;) {
    char piece[4];
    const void *src = piece;
    int bytes, w;
    size_t step = 1;
    uint32_t cp;
    if (u[i] >= 0x20 && u[i] < 0x7f) {
      piece[0] = (char)u[i];
      bytes = 1, w = 1;
    } else if (u[i] == '\n' || u[i] == '\t' || u[i] == '\r') {
      piece[0] = '\\';
      piece[1] = u[i] == '\n' ? 'n' : u[i] == '\t' ? 't' : 'r';
      bytes = 2, w = 2;
    } else if (u[i] >= 0x80 && (bytes = utf8_decode(u + i, n - i, &cp)) > 0 && cp >= 0xa0) {
      /* (U+0080..U+009F are C1 control codes: escaped below, byte by byte) */
      src = u + i;
      step = (size_t)bytes;
      w = code_point_width(cp);
    } else {
      piece[0] = '\\', piece[1] = 'x', piece[2] = hex[u[i] >> 4], piece[3] = hex[u[i] & 15];
      bytes = 4, w = 4;
    }
    text_put(arena, src, (size_t)bytes);
    width += w;
    if (width <= max_width - 1) {
      cut_len = arena->len;
      cut_width = width;
    }
    i += step;
  }
  if (width > max_width || more) {
    /* Too wide: keep what fits in max_width - 1 columns and mark the cut. */
    if (!arena->failed) arena->len = cut_len;
    text_puts(arena, "…");
    width = cut_width + 1;
  }
  c.len = arena->failed ? 0 : arena->len - c.start;
  c.width = width;
  return c;
}

/* ---- layout ------------------------------------------------------------------------ */

typedef enum align { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_CENTER } align;

/* One column of the box: a table column, or the "…" column (source -1). */
typedef struct box_column {
  int32_t source;
  int32_t width;
  align align;
} box_column;

typedef struct printer {
  const cy_table *table;
  int64_t top, bottom;    /* rows shown from the start and from the end */
  int64_t total;          /* rows the table stands for (the footer's count) */
  int32_t max_col_width;
  text arena;
  cell *cells;            /* per column: name, type, then top + bottom rows */
  int64_t cells_per_column;
  box_column *box;
  int32_t box_count;
  text out;
} printer;

static cell *cell_at(printer *p, int32_t column, int64_t k) {
  return &p->cells[(int64_t)column * p->cells_per_column + k];
}

static bool right_aligned(cy_type_id id) {
  return cy_type_is_numeric(id) || id == CY_DECIMAL128;
}

/* Render names, types and the shown rows of every column into the arena. */
static void render_cells(printer *p, char *value, size_t value_size) {
  const cy_table *t = p->table;
  for (int32_t c = 0; c < t->schema.num_fields; c++) {
    const cy_field *f = &t->schema.fields[c];
    char type_name[128];
    cy_type_name(&f->type, type_name, sizeof type_name);
    *cell_at(p, c, 0) = render(&p->arena, f->name, strlen(f->name), false, p->max_col_width);
    *cell_at(p, c, 1) =
        render(&p->arena, type_name, strlen(type_name), false, p->max_col_width);
    for (int64_t k = 0; k < p->top + p->bottom; k++) {
      int64_t row = k < p->top ? k : t->num_rows - p->bottom + (k - p->top);
      int64_t need = cy_column_format_value(t->columns[c], row, "NULL", value, value_size);
      size_t got = (uint64_t)need < value_size ? (size_t)need : value_size - 1;
      *cell_at(p, c, 2 + k) =
          render(&p->arena, value, got, got < (uint64_t)need, p->max_col_width);
    }
  }
}

static int32_t column_width(printer *p, int32_t c) {
  int32_t w = 1;
  for (int64_t k = 0; k < p->cells_per_column; k++)
    if (cell_at(p, c, k)->width > w) w = cell_at(p, c, k)->width;
  return w;
}

/* Choose the columns that fit in max_width: all of them, or some from each end around a
 * "…" column. p->box has room for num_fields + 1 entries. */
static void choose_columns(printer *p, int32_t max_width) {
  int32_t n = p->table->schema.num_fields;
  int64_t total = 1;
  for (int32_t c = 0; c < n; c++) total += column_width(p, c) + 3;
  if (total <= max_width) {
    for (int32_t c = 0; c < n; c++) {
      cy_type_id id = p->table->schema.fields[c].type.id;
      p->box[c] = (box_column){c, column_width(p, c), right_aligned(id) ? ALIGN_RIGHT : ALIGN_LEFT};
    }
    p->box_count = n;
    return;
  }
  /* Alternate left and right; the first column is always shown. */
  int32_t left = 0, right = n; /* shown: [0, left) and [right, n) */
  total = 1 + 4;               /* border and the "…" column */
  for (bool from_left = true; left < right; from_left = !from_left) {
    int32_t c = from_left ? left : right - 1;
    int64_t w = column_width(p, c) + 3;
    if (total + w > max_width && left > 0) break;
    total += w;
    if (from_left) left++;
    else right--;
  }
  int32_t k = 0;
  for (int32_t c = 0; c < n; c++) {
    if (c == left && right > left) p->box[k++] = (box_column){-1, 1, ALIGN_CENTER};
    if (c >= left && c < right) continue;
    cy_type_id id = p->table->schema.fields[c].type.id;
    p->box[k++] = (box_column){c, column_width(p, c), right_aligned(id) ? ALIGN_RIGHT : ALIGN_LEFT};
  }
  p->box_count = k;
}

/* A border line such as ├───┼───┤. */
static void border(printer *p, const char *left, const char *mid, const char *right) {
  text_puts(&p->out, left);
  for (int32_t b = 0; b < p->box_count; b++) {
    if (b) text_puts(&p->out, mid);
    text_repeat(&p->out, "─", p->box[b].width + 2);
  }
  text_puts(&p->out, right);
  text_puts(&p->out, "\n");
}

/* One cell of a content line, padded to the column's width. */
static void put_cell(printer *p, const char *s, size_t len, int32_t width, int32_t column_w,
                     align a) {
  int32_t pad = column_w - width;
  int32_t before = a == ALIGN_RIGHT ? pad : a == ALIGN_CENTER ? pad / 2 : 0;
  text_repeat(&p->out, " ", before + 1);
  text_put(&p->out, s, len);
  text_repeat(&p->out, " ", pad - before + 1);
}

/* A content line: k is the cell index (0 name, 1 type, 2.. rows), or -1 for the "·" row. */
static void content_line(printer *p, int64_t k) {
  text_puts(&p->out, "│");
  for (int32_t b = 0; b < p->box_count; b++) {
    box_column *bc = &p->box[b];
    if (b) text_puts(&p->out, "│");
    if (bc->source < 0) {
      const char *mark = k < 0 ? "·" : "…";
      put_cell(p, mark, strlen(mark), 1, 1, ALIGN_CENTER);
    } else if (k < 0) {
      put_cell(p, "·", strlen("·"), 1, bc->width, ALIGN_CENTER);
    } else {
      cell *c = cell_at(p, bc->source, k);
      align a = k < 2 ? ALIGN_CENTER : bc->align;
      put_cell(p, p->arena.data + c->start, c->len, c->width, bc->width, a);
    }
  }
  text_puts(&p->out, "│\n");
}

static void footer(printer *p) {
  const cy_table *t = p->table;
  char line[160];
  int64_t shown_rows = p->top + p->bottom;
  int32_t shown_cols = 0;
  for (int32_t b = 0; b < p->box_count; b++) shown_cols += p->box[b].source >= 0;
  int n = snprintf(line, sizeof line, "%lld row%s", (long long)p->total,
                   p->total == 1 ? "" : "s");
  if (shown_rows < p->total)
    n += snprintf(line + n, sizeof line - (size_t)n, " (%lld shown)", (long long)shown_rows);
  n += snprintf(line + n, sizeof line - (size_t)n, "  %d column%s", (int)t->schema.num_fields,
                t->schema.num_fields == 1 ? "" : "s");
  if (shown_cols < t->schema.num_fields)
    snprintf(line + n, sizeof line - (size_t)n, " (%d shown)", (int)shown_cols);
  text_puts(&p->out, line);
  text_puts(&p->out, "\n");
}

static void draw(printer *p) {
  if (p->box_count > 0) {
    border(p, "┌", "┬", "┐");
    content_line(p, 0);
    content_line(p, 1);
    border(p, "├", "┼", "┤");
    for (int64_t k = 0; k < p->top; k++) content_line(p, 2 + k);
    if (p->top + p->bottom < p->total) content_line(p, -1);
    for (int64_t k = p->top; k < p->top + p->bottom; k++) content_line(p, 2 + k);
    border(p, "└", "┴", "┘");
  }
  footer(p);
}

void cy_print_options_init(cy_print_options *opts) {
  opts->max_rows = 10;
  opts->max_width = 120;
  opts->max_col_width = 32;
  opts->total_rows = 0;
}

cy_status cy_table_print(const cy_table *table, const cy_print_options *opts, FILE *out,
                         cy_error *err) {
  cy_print_options o;
  cy_print_options_init(&o);
  if (opts) o = *opts;
  if (o.max_width <= 0) o.max_width = 120;
  if (o.max_col_width <= 0) o.max_col_width = 32;

  printer p;
  memset(&p, 0, sizeof p);
  p.table = table;
  p.max_col_width = o.max_col_width;
  int64_t n = table->num_rows;
  p.total = n;
  if (o.total_rows > n) {
    /* The table is the first and last rows of a longer one: split it where they meet. */
    p.total = o.total_rows;
    p.top = o.max_rows < 0 ? n : (o.max_rows + 1) / 2;
    if (p.top > n) p.top = n;
    p.bottom = n - p.top;
    if (o.max_rows >= 0 && p.bottom > o.max_rows / 2) p.bottom = o.max_rows / 2;
  } else if (o.max_rows < 0 || n <= o.max_rows) {
    p.top = n; /* a negative max_rows shows every row */
  } else {
    p.top = (o.max_rows + 1) / 2;
    p.bottom = o.max_rows / 2;
  }
  int32_t ncols = table->schema.num_fields;
  p.cells_per_column = 2 + p.top + p.bottom;
  size_t value_size = (size_t)o.max_col_width * 4 + 16; /* > max_col_width characters */
  char *value = malloc(value_size);
  p.cells = calloc((size_t)(ncols > 0 ? ncols : 1) * (size_t)p.cells_per_column, sizeof(cell));
  p.box = calloc((size_t)ncols + 1, sizeof(box_column));
  cy_status st = CY_OK;
  if (value == NULL || p.cells == NULL || p.box == NULL) {
    st = CY_ENOMEM;
  } else {
    render_cells(&p, value, value_size);
    if (!p.arena.failed) {
      choose_columns(&p, o.max_width);
      draw(&p);
    }
    if (p.arena.failed || p.out.failed) st = CY_ENOMEM;
  }
  if (st == CY_ENOMEM) {
    cy_error_set(err, "out of memory printing a table of %lld rows", (long long)n);
  } else if (fwrite(p.out.data, 1, p.out.len, out) != p.out.len || fflush(out) != 0) {
    cy_error_set(err, "printing a table: %s", strerror(errno));
    st = CY_EIO;
  }
  free(value);
  free(p.cells);
  free(p.box);
  free(p.arena.data);
  free(p.out.data);
  return st;
}
