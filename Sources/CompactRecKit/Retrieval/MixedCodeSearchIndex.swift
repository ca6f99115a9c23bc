import CKernels

/// Exact top-K retrieval over item codes of mixed widths (`MixedCodes`) for query codes of any
/// width, with excluded items skipped.
///
/// Scores are the dot products of the dequantized rows, computed from the codes by bit-plane
/// AND and popcount across the two widths (`crk_mixed_code_scores`). Each block's items are
/// kept in descending order of the norm of their dequantized rows, so the scan of a block stops
/// as soon as no remaining item can reach the query's current K-th score by Cauchy-Schwarz.
/// Queries are split over the cores. Immutable after `init`: any number of threads may search
/// it.
public final class MixedCodeSearchIndex: ItemIndex, @unchecked Sendable {
  /// One code row to search for: its width, its words (all planes), step, code sum and the
  /// norm of its dequantized row.
  public struct Query: Sendable {
    public let bits: Int
    public let words: [UInt64]
    public let step: Float
    public let sum: Int32
    public let norm: Float

    /// Row `row` of `codes` as a query.
    public init(_ codes: PackedCodes, row: Int, norm: Float) {
      let w = codes.wordsPerRow
      self.init(
        bits: codes.bits, words: Array(codes.words[(row * w)..<(row * w + w)]), step: codes.steps[row],
        sum: codes.codeSums[row], norm: norm)
    }

    init(bits: Int, words: [UInt64], step: Float, sum: Int32, norm: Float) {
      self.bits = bits
      self.words = words
      self.step = step
      self.sum = sum
      self.norm = norm
    }
  }

  /// One block's items in descending norm order, with their item numbers.
  private struct Block {
    let bits: Int
    let rows: Int
    let words: AlignedBuffer<UInt64>
    let steps: AlignedBuffer<Float>
    let sums: AlignedBuffer<Int32>
    let norms: [Float]
    let original: [Int32]
  }

  /// The indexed item codes.
  public let items: MixedCodes
  private let sorted: [Block]
  /// Items scored at a time before the bound is checked again.
  private static let chunk = 64

  /// Prepares `items` for search. O(items log items).
  public init(items: MixedCodes) {
    self.items = items
    sorted = zip(items.blocks, items.members).map { codes, members in
      let norms = codes.norms()
      let order = (0..<codes.rows).sorted { norms[$0] != norms[$1] ? norms[$0] > norms[$1] : $0 < $1 }
      let w = codes.wordsPerRow
      let words = AlignedBuffer<UInt64>(repeating: 0, count: max(1, codes.words.count))
      for (p, j) in order.enumerated() {
        for t in 0..<w { words[p * w + t] = codes.words[j * w + t] }
      }
      return Block(
        bits: codes.bits, rows: codes.rows, words: words, steps: AlignedBuffer(order.map { codes.steps[$0] }),
        sums: AlignedBuffer(order.map { codes.codeSums[$0] }), norms: order.map { norms[$0] },
        original: order.map { members[$0] })
    }
  }

  public var itemCount: Int { items.rows }

  /// Bytes per item of the index in memory: codes, step, norm, code sum and item number.
  public var bytesPerItem: Double {
    let bytes = sorted.reduce(0) { $0 + $1.rows * (items.blocks[0].wordsPerPlane * $1.bits * 8 + 16) }
    return Double(bytes) / Double(max(1, items.rows))
  }

  /// The `k` best items for each query (codes as wide as the items' dimension, any width)
  /// under its filter. Ties go to the lower item index.
  public func search(_ queries: [Query], k: Int, filters: [ItemFilter]) -> SearchResult {
    precondition(filters.count == queries.count, "one filter per query")
    let n = items.rows
    let m = queries.count
    let planeWords = (items.dim + 63) / 64
    precondition(
      queries.allSatisfy { RowQuantizer.supportedBits.contains($0.bits) && $0.words.count == $0.bits * planeWords },
      "a query's codes do not match the items' dimension")
    let chunks = max(1, min(m, Parallel.workers * 8))
    let rankings = UnsafeMutableBufferPointer<[Ranking]>.allocate(capacity: chunks)
    rankings.initialize(repeating: [])
    defer { rankings.deinitialize().deallocate() }
    let scanned = AlignedBuffer<Int64>(repeating: 0, count: chunks)
    Parallel.forEachChunk(of: m, chunks: chunks) { c, range in
      var excluded = [UInt64](repeating: 0, count: (n + 63) / 64)
      var scores = [Float](repeating: 0, count: Self.chunk)
      var positions = [Int32](repeating: 0, count: Self.chunk)
      var looked: Int64 = 0
      rankings[c] = range.map { q in
        let query = queries[q]
        let exclusions = filters[q].exclusions(itemCount: n)
        for e in exclusions { excluded[Int(e) / 64] |= 1 << UInt64(Int(e) % 64) }
        defer { for e in exclusions { excluded[Int(e) / 64] = 0 } }
        var top = TopList(k: min(k, n))
        query.words.withUnsafeBufferPointer { u in
          for block in sorted {
            var start = 0
            while start < block.rows {
              // A slightly raised bound, so that rounding never cuts an item that ties.
              if top.excludes(score: query.norm * block.norms[start] * (1 + 1e-5) + 1e-30) { break }
              let count = min(Self.chunk, block.rows - start)
              let row = block.bits * planeWords
              // Only scores that can enter the list come back: at least its current worst.
              let threshold = top.isFull ? top.worstScore : -Float.infinity
              let found = crk_mixed_code_candidates(
                u.baseAddress, Int32(query.bits), query.step, query.sum, block.words.pointer + start * row,
                Int32(block.bits), block.steps.pointer + start, block.sums.pointer + start, Int64(count),
                Int32(planeWords), Int32(items.dim), threshold, &positions, &scores)
              for j in 0..<Int(found) {
                let item = block.original[start + Int(positions[j])]
                if excluded[Int(item) / 64] >> UInt64(Int(item) % 64) & 1 == 0 { top.offer(item, scores[j]) }
              }
              looked += Int64(count)
              start += count
            }
          }
        }
        return top.ranking
      }
      scanned[c] = looked
    }
    var statistics = SearchStatistics()
    statistics.pairs = Int64(m) * Int64(n)
    statistics.scanned = scanned.buffer.reduce(0, +)
    return SearchResult(rankings: rankings.flatMap { $0 }, statistics: statistics)
  }
}
