/// One request for recommendations: a known user, an item history, or both.
///
/// General models (MostPop, MF-BPR) read `user`; sequential models read `history`.
/// Items in `exclude` are never returned (the user's seen items).
public struct ScoringQuery: Sendable {
  /// Dense user index, or nil for an anonymous history.
  public var user: Int32?
  /// Items the user interacted with, oldest first.
  public var history: [Int32]
  /// Items that must not be recommended, sorted ascending.
  public var exclude: [Int32]

  /// Creates a query. `exclude` need not be sorted; it is sorted here.
  public init(user: Int32?, history: [Int32] = [], exclude: [Int32] = []) {
    self.user = user
    self.history = history
    self.exclude = exclude.sorted()
  }
}

/// The best items for one query, best first.
public struct Ranking: Sendable, Equatable {
  /// Dense item indices.
  public var items: [Int32]
  /// Their scores (model-specific scale), same order.
  public var scores: [Float]

  public init(items: [Int32], scores: [Float]) {
    self.items = items
    self.scores = scores
  }
}

/// A trained model that scores items: the one abstraction evaluation, the CLI and serving use,
/// whether scores come from float embeddings, bit codes or a sequence network.
public protocol Recommender: AnyObject {
  /// Number of items the model ranks.
  var itemCount: Int { get }

  /// Writes the score of every item for each query into `scores`
  /// (`queries.count x itemCount`, row-major). Higher is better.
  func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>)

  /// The `k` best items of each query, seen items excluded. A default implementation scores
  /// in batches and selects; models with a faster exact search override it.
  func recommend(_ queries: [ScoringQuery], k: Int) -> [Ranking]
}

extension Recommender {
  public func recommend(_ queries: [ScoringQuery], k: Int) -> [Ranking] {
    BruteForceSearch.recommend(self, queries, k: k)
  }
}

/// Exact top-K by scoring every item: batched scoring (BLAS inside the model), then masking
/// and selection split over the cores.
public enum BruteForceSearch {
  /// Queries scored per batch; bounds the score buffer to `batch * itemCount` floats.
  public static let batchSize = 256

  /// The `k` best items of each query with its `exclude` items masked.
  public static func recommend(_ model: Recommender, _ queries: [ScoringQuery], k: Int) -> [Ranking] {
    search(queries: queries.count, itemCount: model.itemCount, k: k, exclude: { queries[$0].exclude }) {
      range, buffer in model.score(queries[range], into: buffer)
    }
  }

  /// The `k` best of `itemCount` items for each of `queries` queries: `score(range, buffer)`
  /// writes the scores of queries `range` (row-major, `itemCount` wide) and `exclude(q)` names
  /// the items query `q` must not get.
  public static func search(
    queries: Int, itemCount n: Int, k: Int, exclude: (Int) -> [Int32],
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
          for e in exclude(start + r) { row[Int(e)] = -.infinity }
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
