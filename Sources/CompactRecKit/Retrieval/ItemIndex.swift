/// Which items a search may return for one query: never an excluded item (the user's seen items
/// and any deny-list), and, when `allow` is set, only allowed ones. Top-k stays exact under a
/// filter: a search returns min(k, admissible items) items, the best of the admissible ones.
public struct ItemFilter: Sendable, Equatable {
  /// Items never returned, sorted ascending without repeats.
  public private(set) var exclude: [Int32]
  /// When set, the only items that may be returned, sorted ascending without repeats.
  public let allow: [Int32]?

  /// A filter; the lists need not be sorted or unique.
  public init(exclude: [Int32] = [], allow: [Int32]? = nil) {
    self.exclude = Array(Set(exclude)).sorted()
    self.allow = allow.map { Array(Set($0)).sorted() }
  }

  /// This filter with `items` (any order) excluded as well. The allow-list is shared, not
  /// sorted again: what a batch of queries under one filter needs per query.
  public func excluding(_ items: [Int32]) -> ItemFilter {
    var copy = self
    copy.exclude = Array(Set(exclude).union(items)).sorted()
    return copy
  }

  /// The items a search over `itemCount` items must skip for this filter: the excluded ones and,
  /// under an allow-list, every item outside it. Sorted ascending. Precondition: every listed
  /// item is one of the `itemCount` items.
  public func exclusions(itemCount: Int) -> [Int32] {
    precondition(isWithin(itemCount: itemCount), "a filter names an item outside the \(itemCount) items")
    guard let allow else { return exclude }
    var out: [Int32] = []
    out.reserveCapacity(itemCount - allow.count + exclude.count)
    var a = 0
    var e = 0
    for item in 0..<Int32(itemCount) {
      while a < allow.count && allow[a] < item { a += 1 }
      while e < exclude.count && exclude[e] < item { e += 1 }
      let allowed = a < allow.count && allow[a] == item
      let excluded = e < exclude.count && exclude[e] == item
      if !allowed || excluded { out.append(item) }
    }
    return out
  }
}

extension ItemFilter {
  /// Whether a search may return `item`: not excluded and, under an allow-list, allowed.
  /// O(log n) in the lists.
  public func admits(_ item: Int32) -> Bool {
    exclude.binarySearch(item) == nil && (allow.map { $0.binarySearch(item) != nil } ?? true)
  }

  /// Whether every listed item is one of `itemCount` items (the lists are sorted: O(1)).
  public func isWithin(itemCount: Int) -> Bool {
    let inRange = { (list: [Int32]) in list.isEmpty || (list[0] >= 0 && Int(list[list.count - 1]) < itemCount) }
    return inRange(exclude) && inRange(allow ?? [])
  }

  /// Exclusion lists per part of a batch, in items: an allow-list turns into up to `itemCount`
  /// exclusions per query, so batches with allow-lists are searched in parts of at most this
  /// many (64 MB of exclusions).
  static let exclusionBudget = 1 << 24

  /// The query ranges to search `filters`' batch in: one range, or parts of at most
  /// `exclusionBudget / itemCount` queries when any filter has an allow-list.
  static func parts(_ filters: [ItemFilter], itemCount: Int) -> [Range<Int>] {
    guard filters.contains(where: { $0.allow != nil }) else { return [0..<filters.count] }
    let size = max(1, exclusionBudget / max(1, itemCount))
    return stride(from: 0, to: filters.count, by: size).map { $0..<min(filters.count, $0 + size) }
  }
}

/// What a search did, returned with its rankings instead of kept in the index, so that one
/// index can serve many threads at once.
public struct SearchStatistics: Sendable, Equatable {
  /// (query, item) pairs the search ranked over: queries times items.
  public var pairs: Int64 = 0
  /// Pairs it looked at one by one (every pair for a full scan); bounds ruled out the rest in
  /// bulk. The adaptive softmax counts tail blocks instead and leaves this 0.
  public var scanned: Int64 = 0
  /// Adaptive softmax: (query, tail block) pairs met, and those skipped by a bound before the
  /// block's product and after it.
  public var tailBlocks: Int64 = 0
  public var skippedTailBlocks: Int64 = 0
  public var skippedAfterProduct: Int64 = 0

  public init() {}

  /// The sum of two searches' figures (for a search done in parts).
  public static func + (a: SearchStatistics, b: SearchStatistics) -> SearchStatistics {
    var s = a
    s.pairs += b.pairs
    s.scanned += b.scanned
    s.tailBlocks += b.tailBlocks
    s.skippedTailBlocks += b.skippedTailBlocks
    s.skippedAfterProduct += b.skippedAfterProduct
    return s
  }
}

/// The answer of a search: one ranking per query, in query order, and what the search did.
public struct SearchResult: Sendable {
  public var rankings: [Ranking]
  public var statistics: SearchStatistics

  public init(rankings: [Ranking], statistics: SearchStatistics) {
    self.rankings = rankings
    self.statistics = statistics
  }

  /// The results of consecutive parts of one batch as one.
  init(joining parts: [SearchResult]) {
    rankings = parts.flatMap(\.rankings)
    statistics = parts.reduce(SearchStatistics()) { $0 + $1.statistics }
  }
}

/// Exact top-k retrieval over a fixed set of items, modelled on FAISS's `Index`: built once,
/// then searched. An index is immutable after its build, so any number of threads may search
/// it at once. Implementations: `BruteForceIndex` (any `Recommender`), `FloatSearchIndex`
/// (float embeddings), `CodeSearchIndex` (1-8 bit codes), `MixedCodeSearchIndex` (codes whose
/// width depends on the item's frequency block) and `OutputLayerIndex` (a sequential model's
/// softmax or CpRec adaptive softmax over hidden states).
public protocol ItemIndex: Sendable {
  /// A batch of queries in the index's own terms (vectors, codes, hidden states, requests).
  associatedtype Queries
  /// Items the index ranks (dense indices 0 ..< itemCount).
  var itemCount: Int { get }
  /// The `k` best items for each query under its filter (one per query), best first; equal
  /// scores rank the lower item first.
  func search(_ queries: Queries, k: Int, filters: [ItemFilter]) -> SearchResult
}
