import CKernels
import Foundation

/// Exact maximum-inner-product top-K over a float item table, faster than scoring every item.
///
/// Built once per item table. Vectors are rotated onto the table's principal axes (an
/// orthogonal change of basis, so dot products are unchanged up to float rounding), and items
/// are ordered by decreasing norm. Search scores the leading `headDims` axes of every item
/// with a register-blocked FMA kernel and bounds the rest by Cauchy-Schwarz over
/// `tailBlocks` blocks; only items whose bound can beat the user's current K-th best score get
/// their remaining dimensions scored. The result equals brute-force top-K (up to ties within
/// float rounding), with seen items excluded; see `float_search.c`. When the embeddings have
/// no dominant subspace and the bound prunes little, search scores every item instead.
/// Immutable after `init`: any number of threads may search it.
public final class FloatSearchIndex: ItemIndex, @unchecked Sendable {
  /// Number of items.
  public let itemCount: Int
  /// Embedding width.
  public let dim: Int
  /// Leading rotated dimensions scored for every item.
  public let headDims: Int
  /// Blocks of the remaining dimensions, each bounded by the product of norms.
  public let tailBlocks: Int
  private let items: Matrix  // the original table, for the brute-force fallback
  private let rotation: [Float]  // d x d, columns are principal axes
  private let permutation: [Int32]  // position -> item
  private let position: [Int32]  // item -> position
  private let tiles: Int
  /// The kernel's tables (see `crk_float_index`), and its view of them.
  private let head: AlignedBuffer<Float>
  private let tail: AlignedBuffer<Float>
  private let tailNorms: AlignedBuffer<Float>
  private let norms: AlignedBuffer<Float>
  private let kernel: crk_float_index

  /// Prepares `items` (items x dim) for search. `headDims` defaults to half the width (all of
  /// it below 16 dimensions, where pruning does not pay).
  public init(items: Matrix, headDims: Int? = nil, tailBlocks: Int = 2) {
    let n = items.rows
    let d = items.cols
    self.items = items
    itemCount = n
    dim = d
    let dh = min(d, headDims ?? (d < 16 ? d : d / 2))
    self.headDims = dh
    let dt = d - dh
    self.tailBlocks = dt == 0 ? 0 : min(max(1, tailBlocks), dt)
    // Principal axes of the item table: eigenvectors of I^T I.
    var gram = [Float](repeating: 0, count: d * d)
    items.withUnsafePointer { p in
      gram.withUnsafeMutableBufferPointer {
        BLAS.gemm(transposeA: true, m: d, n: d, k: n, a: p, lda: d, b: p, ldb: d, c: $0.baseAddress!, ldc: d)
      }
    }
    let (_, vectors) = SymmetricEigen.decompose(gram.map(Double.init), n: d)
    rotation = vectors.map(Float.init)
    let rotated = FloatSearchIndex.rotate(items, by: rotation)
    var itemNorms = [Float](repeating: 0, count: n)
    for i in 0..<n {
      var s: Float = 0
      for c in 0..<d { s += rotated[i * d + c] * rotated[i * d + c] }
      itemNorms[i] = s.squareRoot()
    }
    let perm = (0..<n).sorted { itemNorms[$0] != itemNorms[$1] ? itemNorms[$0] > itemNorms[$1] : $0 < $1 }
    permutation = perm.map { Int32($0) }
    var pos = [Int32](repeating: 0, count: n)
    for (p, i) in perm.enumerated() { pos[i] = Int32(p) }
    position = pos
    tiles = (n + 15) / 16
    let npad = tiles * 16
    let h = AlignedBuffer<Float>(repeating: 0, count: tiles * dh * 16)
    let tail = AlignedBuffer<Float>(repeating: 0, count: npad * dt)
    let tailNorms = AlignedBuffer<Float>(repeating: 0, count: self.tailBlocks * npad)
    let norms = AlignedBuffer<Float>(repeating: 0, count: npad)
    let bounds = FloatSearchIndex.blockBounds(tailDims: dt, blocks: self.tailBlocks)
    for p in 0..<n {
      let i = perm[p]
      let row = i * d
      for j in 0..<dh { h[(p / 16) * dh * 16 + j * 16 + p % 16] = rotated[row + j] }
      for j in 0..<dt { tail[p * dt + j] = rotated[row + dh + j] }
      for (b, range) in bounds.enumerated() {
        var s: Float = 0
        for j in range { s += rotated[row + dh + j] * rotated[row + dh + j] }
        tailNorms[b * npad + p] = s.squareRoot()
      }
      norms[p] = itemNorms[i]
    }
    head = h
    self.tail = tail
    self.tailNorms = tailNorms
    self.norms = norms
    kernel = crk_float_index(
      n_items: Int64(n), n_tiles: Int64(tiles), d_head: Int32(dh), d_tail: Int32(dt), r_blocks: Int32(self.tailBlocks),
      head: h.pointer, tail: tail.pointer, tail_norms: tailNorms.pointer, norms: norms.pointer)
  }

  /// Whether this index was built from exactly `items` (O(1) when it is the same storage).
  public func isBuilt(from items: Matrix) -> Bool { self.items == items }

  /// Bytes per item of the index in memory: the rotated vectors, block norms and norm, the
  /// original vector (for the fallback) and the item's position.
  public var bytesPerItem: Double { Double(2 * dim * 4 + (tailBlocks + 1) * 4 + 8) }

  /// The `k` best items for each row of `users` (queries x dim) under its filter. Users are
  /// split over the cores.
  public func search(_ users: Matrix, k: Int, filters: [ItemFilter]) -> SearchResult {
    precondition(users.cols == dim && filters.count == users.rows, "query shape mismatch")
    let parts = ItemFilter.parts(filters, itemCount: itemCount)
    if parts.count > 1 {
      return SearchResult(joining: parts.map { search(users.rows($0), k: k, filters: Array(filters[$0])) })
    }
    let exclude = filters.map { $0.exclusions(itemCount: itemCount) }
    let m = users.rows
    let kk = min(k, itemCount)
    let d = dim
    let rotated = FloatSearchIndex.rotate(users, by: rotation)
    let R = tailBlocks
    let bounds = FloatSearchIndex.blockBounds(tailDims: d - headDims, blocks: R)
    let tailNormsU = AlignedBuffer<Float>(repeating: 0, count: m * R)
    let normsU = AlignedBuffer<Float>(repeating: 0, count: m)
    for u in 0..<m {
      var total: Float = 0
      for c in 0..<d { total += rotated[u * d + c] * rotated[u * d + c] }
      normsU[u] = total.squareRoot()
      for (b, range) in bounds.enumerated() {
        var s: Float = 0
        for j in range { s += rotated[u * d + headDims + j] * rotated[u * d + headDims + j] }
        tailNormsU[u * R + b] = s.squareRoot()
      }
    }
    let offsets = AlignedBuffer<Int64>(repeating: 0, count: m + 1)
    var seen: [Int32] = []
    for u in 0..<m {
      let mapped = exclude[u].map { position[Int($0)] }.sorted()
      seen.append(contentsOf: mapped)
      offsets[u + 1] = Int64(seen.count)
    }
    let seenList = AlignedBuffer(seen)
    let outIdx = AlignedBuffer<Int32>(repeating: 0, count: m * kk)
    let outVal = AlignedBuffer<Float>(repeating: 0, count: m * kk)
    let outCount = AlignedBuffer<Int32>(repeating: 0, count: m)
    /// Searches users lo ..< lo + count (one kernel user group); returns the items it scored.
    func run(_ lo: Int, _ count: Int) -> Int64 {
      withUnsafePointer(to: kernel) { ix in
        crk_float_search(
          ix, rotated.pointer + lo * d, tailNormsU.pointer + lo * R, normsU.pointer + lo, Int64(count),
          offsets.pointer + lo, seenList.pointer, Int32(kk), outIdx.pointer + lo * kk, outVal.pointer + lo * kk,
          outCount.pointer + lo)
      }
    }
    // Users run in chunks (one kernel user group each), many per core so uneven work balances.
    // The first chunk is a probe: when the bound lets through more than `maxScoredFraction`
    // of the items (embeddings without a dominant subspace), scoring everything is cheaper
    // and the rest of the users are searched by brute force instead.
    let chunk = 96
    let probe = min(m, chunk)
    let scoredInProbe = probe > 0 ? run(0, probe) : 0
    let pruningPays = Double(scoredInProbe) <= FloatSearchIndex.maxScoredFraction * Double(probe * itemCount)
    let chunks = pruningPays ? (m - probe + chunk - 1) / chunk : 0
    let scoredInChunks = AlignedBuffer<Int64>(repeating: 0, count: chunks)
    Parallel.forEach(chunks, grain: 1) { c in
      let lo = probe + c * chunk
      scoredInChunks[c] = run(lo, min(chunk, m - lo))
    }
    var results = (0..<(pruningPays ? m : probe)).map { u in
      let c = Int(outCount[u])
      return Ranking(
        items: (0..<c).map { permutation[Int(outIdx[u * kk + $0])] },
        scores: Array(outVal.buffer[(u * kk)..<(u * kk + c)]))
    }
    var statistics = SearchStatistics()
    statistics.pairs = Int64(m) * Int64(itemCount)
    statistics.scanned = scoredInProbe + scoredInChunks.buffer.reduce(0, +)
    if !pruningPays {
      results += bruteForce(users: users, from: probe, exclude: exclude, k: kk)
      statistics.scanned += Int64(m - probe) * Int64(itemCount)
    }
    return SearchResult(rankings: results, statistics: statistics)
  }

  /// Above this fraction of items scored exactly in the probe, search falls back to brute force.
  public static let maxScoredFraction = 0.3

  /// Exact top-k of users `from...` by scoring every item (sgemm in the original basis).
  private func bruteForce(users: Matrix, from start: Int, exclude: [[Int32]], k: Int) -> [Ranking] {
    let d = dim
    return BruteForceSearch.search(
      queries: users.rows - start, itemCount: itemCount, k: k, filter: { ItemFilter(exclude: exclude[start + $0]) }
    ) { range, buffer in
      users.withUnsafePointer { u in
        items.withUnsafePointer { v in
          BLAS.gemm(
            transposeB: true, m: range.count, n: itemCount, k: d, a: u + (start + range.lowerBound) * d, lda: d,
            b: v, ldb: d, c: buffer, ldc: itemCount)
        }
      }
    }
  }

  /// x R for a row-major table x (rows x d) and rotation R (d x d).
  private static func rotate(_ x: Matrix, by r: [Float]) -> AlignedBuffer<Float> {
    let out = AlignedBuffer<Float>(repeating: 0, count: x.rows * x.cols)
    if x.rows == 0 { return out }
    x.withUnsafePointer { a in
      BLAS.gemm(m: x.rows, n: x.cols, k: x.cols, a: a, lda: x.cols, b: r, ldb: x.cols, c: out.pointer, ldc: x.cols)
    }
    return out
  }

  /// The tail dimensions split into `blocks` contiguous ranges of near-equal size.
  private static func blockBounds(tailDims: Int, blocks: Int) -> [Range<Int>] {
    (0..<blocks).map { (tailDims * $0 / blocks)..<(tailDims * ($0 + 1) / blocks) }
  }
}
