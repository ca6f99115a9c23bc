/// One request for recommendations: a known user, an item history, or both.
///
/// General models (MostPop, MF-BPR) read `user`; sequential models read `history`.
/// Items in `exclude` are never returned (the user's seen items and any deny-list); with
/// `allow` set, only those items are.
public struct ScoringQuery: Sendable {
  /// Dense user index, or nil for an anonymous history.
  public var user: Int32?
  /// Items the user interacted with, oldest first.
  public var history: [Int32]
  /// Which items may be returned.
  public var filter: ItemFilter

  /// Items that must not be recommended, sorted ascending.
  public var exclude: [Int32] { filter.exclude }

  /// Creates a query. The lists need not be sorted.
  public init(user: Int32?, history: [Int32] = [], exclude: [Int32] = [], allow: [Int32]? = nil) {
    self.init(user: user, history: history, filter: ItemFilter(exclude: exclude, allow: allow))
  }

  /// Creates a query under `filter`.
  public init(user: Int32?, history: [Int32] = [], filter: ItemFilter) {
    self.user = user
    self.history = history
    self.filter = filter
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

  /// The first `k` items and their scores: the top-k of a search for a larger k.
  public func prefix(_ k: Int) -> Ranking {
    Ranking(items: Array(items.prefix(k)), scores: Array(scores.prefix(k)))
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

  /// The `k` best items of each query under its filter, with what the search did. A default
  /// implementation scores in batches and selects (`BruteForceSearch`); models with a faster
  /// exact search override it with their `ItemIndex`. Loaded models may be searched from many
  /// threads at once.
  func search(_ queries: [ScoringQuery], k: Int) -> SearchResult
}

extension Recommender {
  public func search(_ queries: [ScoringQuery], k: Int) -> SearchResult {
    BruteForceSearch.search(self, queries, k: k)
  }

  /// The rankings of `search`.
  public func recommend(_ queries: [ScoringQuery], k: Int) -> [Ranking] { search(queries, k: k).rankings }
}
