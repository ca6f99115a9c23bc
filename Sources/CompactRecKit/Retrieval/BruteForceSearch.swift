/// Exact top-K by scoring every item: batched scoring (BLAS inside the model), then masking
/// and selection split over the cores.
public enum BruteForceSearch {
  /// Queries scored per batch; bounds the score buffer to `batch * itemCount` floats.
  public static let batchSize = 256

  /// The `k` best items of each query under its filter, from the model's scores.
  public static func search(_ model: Recommender, _ queries: [ScoringQuery], k: Int) -> SearchResult {
    let n = model.itemCount
    let rankings = search(queries: queries.count, itemCount: n, k: k, filter: { queries[$0].filter }) {
      range, buffer in model.score(queries[range], into: buffer)
    }
    return SearchResult(rankings: rankings, statistics: .fullScan(queries: queries.count, items: n))
  }

  /// The `k` best of `itemCount` items for each of `queries` queries: `score(range, buffer)`
  /// writes the scores of queries `range` (row-major, `itemCount` wide) and `filter(q)` says
  /// which items query `q` may get.
  public static func search(
    queries: Int, itemCount n: Int, k: Int, filter: (Int) -> ItemFilter,
    score: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
  ) -> [Ranking] {
    let kk = min(k, n)
    var results = [Ranking](repeating: Ranking(items: [], scores: []), count: queries)
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: batchSize * n)
    defer { buffer.deallocate() }
    let idx = UnsafeMutablePointer<Int32>.allocate(capacity: batchSize * max(kk, 1))
    let val = UnsafeMutablePointer<Float>.allocate(capacity: batchSize * max(kk, 1))
    defer {
      idx.deallocate()
      val.deallocate()
    }
    var start = 0
    while start < queries {
      let end = min(queries, start + batchSize)
      score(start..<end, buffer)
      var found = [Int](repeating: 0, count: end - start)
      found.withUnsafeMutableBufferPointer { foundPtr in
        Parallel.forEach(end - start, grain: 8) { r in
          let row = buffer + r * n
          let f = filter(start + r)
          precondition(f.isWithin(itemCount: n), "a filter names an item outside the \(n) items")
          if let allow = f.allow {  // keep the allowed scores, mask everything else
            var kept = allow.map { row[Int($0)] }
            for e in f.exclude { if let a = allow.binarySearch(e) { kept[a] = -.infinity } }
            row.update(repeating: -.infinity, count: n)
            for (a, item) in allow.enumerated() { row[Int(item)] = kept[a] }
          } else {
            for e in f.exclude { row[Int(e)] = -.infinity }
          }
          foundPtr[r] = TopK.select(row, count: n, k: kk, indices: idx + r * kk, values: val + r * kk)
        }
      }
      for r in 0..<(end - start) {
        let c = found[r]
        results[start + r] = Ranking(
          items: Array(UnsafeBufferPointer(start: idx + r * kk, count: c)),
          scores: Array(UnsafeBufferPointer(start: val + r * kk, count: c)))
      }
      start = end
    }
    return results
  }
}

extension SearchStatistics {
  /// The figures of a search that scored every item for every query.
  public static func fullScan(queries: Int, items: Int) -> SearchStatistics {
    var s = SearchStatistics()
    s.pairs = Int64(queries) * Int64(items)
    s.scanned = s.pairs
    return s
  }
}

extension Array where Element == Int32 {
  /// The index of `value` in this ascending array, or nil.
  func binarySearch(_ value: Int32) -> Int? {
    var lo = 0
    var hi = count
    while lo < hi {
      let mid = (lo + hi) / 2
      if self[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo < count && self[lo] == value ? lo : nil
  }
}

/// Exact top-k by scoring every item of a model (`BruteForceSearch`): the reference every
/// faster index is tested against, and the index of models without a faster one. Safe from
/// many threads when the model's `score` is (every loaded model's is).
public struct BruteForceIndex: ItemIndex, @unchecked Sendable {
  /// The model whose scores rank the items.
  public let model: Recommender

  public init(model: Recommender) { self.model = model }

  public var itemCount: Int { model.itemCount }

  /// Queries are the model's own requests; `filters` replace their filters.
  public func search(_ queries: [ScoringQuery], k: Int, filters: [ItemFilter]) -> SearchResult {
    precondition(filters.count == queries.count, "one filter per query")
    var filtered = queries
    for q in filtered.indices { filtered[q].filter = filters[q] }
    return BruteForceSearch.search(model, filtered, k: k)
  }
}
