// CompactRec's hot loops, in C so the compiler emits exactly the vector code we mean.
// Each kernel has a portable version and, on x86-64, an AVX2+FMA version picked at run time.
#ifndef COMPACTREC_CKERNELS_H
#define COMPACTREC_CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Top-k of scores[0..<n] (descending; equal scores: lower index first; -inf and NaN never
/// selected). Writes at most k entries, best first, to idx/val; returns how many.
int crk_topk_select(const float *scores, int64_t n, int k, int32_t *idx, float *val);

/// One Adam step over n contiguous elements (moments m, v updated in place):
/// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w = w * decay - lr * (m/c1) / (sqrt(v/c2) + eps),
/// where c1, c2 are the bias corrections 1 - b^t and decay = 1 - lr * weight_decay (AdamW).
void crk_adam_update(float *w, const float *g, float *m, float *v, int64_t n, float lr, float b1,
                     float b2, float c1, float c2, float eps, float decay);

/// An item table prepared for exact pruned top-k search (see float_search.c and
/// FloatSearchIndex.swift). Items are in a permuted order (by descending norm) and padded to a
/// multiple of 16; vectors are in a rotated basis whose first `d_head` dimensions carry most
/// of the energy.
typedef struct {
  int64_t n_items;          // real items; positions >= n_items are padding
  int64_t n_tiles;          // ceil(n_items / 16)
  int d_head;               // dimensions scored densely
  int d_tail;               // dimensions bounded, then scored for candidates only
  int r_blocks;             // the tail is split into r_blocks blocks for the norm bound
  const float *head;        // [n_tiles][d_head][16]
  const float *tail;        // [n_tiles * 16][d_tail]
  const float *tail_norms;  // [r_blocks][n_tiles * 16], norm of each tail block
  const float *norms;       // [n_tiles * 16], full norm (rounding margin)
} crk_float_index;

/// Exact top-k for m users. users: [m][d_head + d_tail] in the rotated basis; user_tail_norms:
/// [m][r_blocks]; user_norms: [m]. Seen items of user u are seen[seen_offsets[u] ..<
/// seen_offsets[u+1]], permuted positions sorted ascending, and are never returned. Writes
/// positions and scores best first to out_idx/out_val ([m][k]) and the count to out_count.
/// Returns how many (user, item) pairs passed the bound and were scored exactly, which tells
/// the caller how well the bound prunes for these embeddings.
int64_t crk_float_search(const crk_float_index *ix, const float *users,
                         const float *user_tail_norms, const float *user_norms, int64_t m,
                         const int64_t *seen_offsets, const int32_t *seen, int k, int32_t *out_idx,
                         float *out_val, int32_t *out_count);

/// A CSR matrix: row r's non-zeros are col[e], val[e] for e in row_ptr[r] ..< row_ptr[r + 1].
typedef struct {
  const int64_t *row_ptr;
  const int32_t *col;
  const float *val;
} crk_csr;

/// An Adam step (the arguments of crk_adam_update) on the rows of a table w with moments m, v,
/// all (N, d) float32; w_half, when set, receives each updated row in half precision.
typedef struct {
  float *w, *m, *v;
  uint16_t *w_half;
  float lr, b1, b2, c1, c2, eps, decay;
} crk_adam_rows;

/// Operands of one propagation product y = scale * A x + extra_weight * extra (see
/// crk_propagate_rows). Rows of x and y are float32, or IEEE half floats (uint16_t) when
/// x_half / y_half is set; extra is always float32.
typedef struct {
  /// The dense operand, one row per column of A.
  const void *x;
  int x_half;
  float scale;
  /// Optional per-row addition: row r gets extra_weight * extra[extra_slot[r]] when extra_slot
  /// is set and extra_slot[r] >= 0 (extra is compact: one row per listed node).
  const float *extra;
  const int32_t *extra_slot;
  float extra_weight;
  void *y;
  int y_half;
  /// When set, each finished row r is not stored in y but taken as the gradient of row r of
  /// adam->w and applied at once, exactly as crk_adam_update would: the last backward product
  /// and the optimizer step in one pass, without writing and re-reading the gradient.
  const crk_adam_rows *adam;
} crk_product;

/// y[r] = scale * sum_e val[e] * x[col[e]] + extra_weight * extra[extra_slot[r]] for rows
/// [row_begin, row_end) of y, (N, d). Each row is written once, whole.
void crk_propagate_rows(const crk_csr *a, const crk_product *p, int64_t row_begin, int64_t row_end, int d);

/// The same product for the listed rows only, written compactly: row rows[t] of the product
/// goes to row t of y.
void crk_propagate_row_list(const crk_csr *a, const crk_product *p, const int32_t *rows, int64_t n, int d);

/// y[c] += weight * a[rows[t]][c] * x[t] for every non-zero (rows[t], c) of the listed rows,
/// t < n: the product A x of an x that is non-zero only at the listed rows (x compact, one row
/// per listed row), pushed from those rows into y, (N, d), float32 or half when y_half. Calls
/// may run concurrently on lists whose rows share no neighbour (the two sides of a bipartite
/// graph).
void crk_push_rows(const crk_csr *a, const int32_t *rows, int64_t n, const float *x, float weight, void *y,
                   int y_half, int d);

/// y[rows[t]] += w * x[t] for t < n (x compact float32; y float32, or half when y_half).
void crk_add_into_rows(const float *x, const int32_t *rows, int64_t n, float w, void *y, int y_half, int d);

/// y[i] = x[i] rounded to the nearest half float, for n elements.
void crk_convert_to_half(const float *x, uint16_t *y, int64_t n);

/// y[t] += w * x[rows[t]] for t < n (rows of d floats; x float32, or half when x_half).
void crk_add_rows(const void *x, int x_half, const int32_t *rows, int64_t n, float w, float *y, int d);

/// BPR loss and gradient at the final embeddings of a batch of n (user, positive, negative)
/// triples, for LightGCN. final, grad and reg are compact [rows][d] with node v at slot[v]; e0
/// holds the layer-0 rows of every node. For triple t with nodes u = users[t],
/// i = item_offset + pos[t], j = item_offset + neg[t]: x = <f_u, f_i - f_j>, dx = -sigmoid(-x);
/// grad[u] += dx (f_i - f_j), grad[i] += dx f_u, grad[j] -= dx f_u; reg[v] += e0[v] for each
/// of u, i, j. Returns the sum over triples of softplus(-x) + l2/2 (|e_u|^2 + |e_i|^2 + |e_j|^2).
double crk_bpr_triples(const float *final, float *grad, float *reg, const float *e0, const int32_t *slot,
                       const int32_t *users, const int32_t *pos, const int32_t *neg, int64_t n,
                       int64_t item_offset, int d, float l2);

/// Scores of one query row of b-bit codes against n item rows (bit-plane layout of
/// PackedCodes.swift: a row is [bits][words_per_plane] 64-bit words, bits past d zero):
/// out[i] = query_step * steps[i] * (sum_c u_c v_c - z (query_sum + sums[i]) + d z^2), with
/// z = (2^bits - 1) / 2 and sum_c u_c v_c = sum_{p,q} 2^(p+q) popcount(query_p AND item_q);
/// at 1 bit, query_step * steps[i] * (d - 2 popcount(query XOR item)) / 4.
void crk_code_scores(const uint64_t *query, float query_step, int32_t query_sum, const uint64_t *items,
                     const float *steps, const int32_t *sums, int64_t n, int bits, int words_per_plane, int d,
                     float *out);

/// Scores of one query row of query_bits-bit codes against n item rows of item_bits-bit codes,
/// both in the bit-plane layout of PackedCodes.swift over d dimensions: out[i] = query_step *
/// steps[i] * (sum_c u_c v_c - z_i query_sum - z_q sums[i] + d z_q z_i), with z = (2^bits - 1)
/// / 2 of each side and sum_c u_c v_c = sum_{p,q} 2^(p+q) popcount(query_p AND item_q). With
/// equal widths, the same floats as crk_code_scores.
void crk_mixed_code_scores(const uint64_t *query, int query_bits, float query_step, int32_t query_sum,
                           const uint64_t *items, int item_bits, const float *steps, const int32_t *sums,
                           int64_t n, int words_per_plane, int d, float *out);

/// The scores of crk_mixed_code_scores at or above threshold, with their positions among the n
/// items, in item order; returns how many. What a top-k scan keeps of a run of items.
int64_t crk_mixed_code_candidates(const uint64_t *query, int query_bits, float query_step, int32_t query_sum,
                                  const uint64_t *items, int item_bits, const float *steps, const int32_t *sums,
                                  int64_t n, int words_per_plane, int d, float threshold, int32_t *positions,
                                  float *scores);

/// Item codes prepared for exact top-k search (see code_search.c and CodeSearchIndex.swift):
/// items in descending order of the norm of their dequantized rows, rows in the bit-plane
/// layout of crk_code_scores.
typedef struct {
  int64_t n_items;
  int bits;
  int words_per_plane;
  int d;
  const uint64_t *codes;    // [n_items][bits][words_per_plane], permuted
  const float *steps;       // [n_items], permuted
  const float *norms;       // [n_items], dequantized row norms, descending
  const int32_t *sums;      // [n_items], code sums, permuted
  const int32_t *original;  // permuted position -> item index
  const uint8_t *nibbles;   // NULL, or the 1-bit layout of crk_code_index_nibbles
  const float *group_steps; // with nibbles: the largest step of each group of 256 items
  const void *scan;             // NULL, or the layout of crk_code_scan_layout (64-byte aligned)
  const float *scan_steps;      // with scan: the steps in the layout's slot order (0 past the end)
  const float *scan_offsets;    // with scan: z V_i in slot order (+inf past the end)
} crk_code_index;

/// Items per group of the scan layout.
#define CRK_SCAN_GROUP 128

/// Whether the scan layout serves codes of `bits` bits and width d: 1 to 4 bits while a code
/// product d (2^bits - 1)^2 fits 16 bits, and 8 bits up to d = 256.
int crk_code_scan_supported(int bits, int d);

/// Bytes of the scan layout of n items (see crk_code_scan_layout).
int64_t crk_code_scan_bytes(int64_t n_items, int bits, int d);

/// Fills the scan layout from an index's permuted codes, steps and code sums, for
/// crk_code_scan_supported widths, in groups of CRK_SCAN_GROUP items (zero past the end), in
/// the route code_scan.c picks for the width:
/// - 1 and 2 bits (and 3, 4 bits past the 16-bit signed bound), [group][plane q][nibble
///   position j][item] bytes, each the 4 bits 4j ..< 4j + 4 of the item's plane q; a search
///   sums per-user table lookups over them;
/// - 3 and 4 bits, [group][dimension pair p][item][2] bytes, one code per byte, for byte
///   multiply-adds;
/// - 8 bits, [group][32 items][dimension pair p][item][2] int16 codes, for 16-bit
///   multiply-adds.
/// Also writes each item's step and z V_i (z the zero point, V_i its code sum) in the order the
/// scan reads a group's sums (slot_steps and slot_offsets hold ceil(n / CRK_SCAN_GROUP) *
/// CRK_SCAN_GROUP floats).
void crk_code_scan_layout(const uint64_t *codes, const float *steps, const int32_t *sums, int64_t n, int bits,
                          int words_per_plane, int d, void *layout, float *slot_steps, float *slot_offsets);

/// Users a 1-bit search handles together (the rows of seen_bits scratch it needs).
#define CRK_SEARCH_USERS 64

/// Bytes of the 1-bit nibble layout of n items: ceil(n / 256) groups of 4096.
int64_t crk_code_index_nibble_bytes(int64_t n_items);

/// Fills the nibble layout of the n permuted 1-bit, one-word codes of an index: for each
/// group g of 256 items and each nibble position j (bits 4j ..< 4j + 4 of the code
/// word), 256 bytes holding that nibble of items 256 g ..< 256 g + 256 (zero past the end), and
/// the largest step of the group in group_steps[g]. The search counts Hamming distances of 256
/// items at a time from it with one table lookup per nibble.
void crk_code_index_nibbles(const uint64_t *codes, const float *steps, int64_t n, uint8_t *nibbles,
                            float *group_steps);

/// Exact top-k items for m users (codes [m][bits][words_per_plane], steps, code sums and
/// dequantized row norms), with
/// the scores of crk_code_scores; ties go to the lower item index. The items
/// seen[seen_offsets[u] ..< seen_offsets[u + 1]] of user u are never returned. seen_bits is
/// caller scratch of min(m, CRK_SEARCH_USERS) rows of ceil(items / 64) words, all zero (and
/// left zero). Writes item indices and
/// scores best first to out_idx/out_val ([m][k]) and the count to out_count; returns how many
/// (user, item) pairs were scanned before the bound stopped the scan.
int64_t crk_code_search(const crk_code_index *ix, const uint64_t *users, const float *user_steps,
                        const int32_t *user_sums, const float *user_norms, int64_t m, const int64_t *seen_offsets, const int32_t *seen, int k,
                        uint64_t *seen_bits, int32_t *out_idx, float *out_val, int32_t *out_count);

/// Softmax cross-entropy of one row of n logits with the given target, in place: the row
/// becomes scale * (softmax(row) - onehot(target)), the gradient of scale * loss by the
/// logits. Returns the loss, log(sum_j e^(row_j - max)) - (row_target - max).
double crk_softmax_xent_row(float *row, int64_t n, int32_t target, float scale);

/// log(sum_j e^row_j) of one row of n logits, computed stably from the row maximum `top`
/// (`crk_row_max` of the row), which callers often need for themselves as well.
float crk_log_sum_exp(const float *row, int64_t n, float top);

/// The largest of row[0..<n] (-infinity for n = 0).
float crk_row_max(const float *row, int64_t n);

/// out[r][j] = sum_d x[r][d] * b[d][j] + bias[j] for r < m, j < n: m rows of x (width w, row
/// stride ldx) times b (w x n, row-major), plus bias (n floats, or NULL), into out (row
/// stride ldo). Every element is summed the same way, fused multiply-adds over d in order
/// from zero and then the bias, so a row's result does not depend on which rows come with
/// it: two ranking paths built on it score each item identically. Meant for narrow products
/// (small m or w) that stay in cache.
void crk_rows_product(const float *x, int64_t m, int64_t ldx, int64_t w, const float *b, int64_t n,
                      const float *bias, float *out, int64_t ldo);

/// Number of AVX2 lanes used by the kernels on this CPU (8), or 1 for the portable path.
int crk_vector_width(void);

#ifdef __cplusplus
}
#endif

#endif
