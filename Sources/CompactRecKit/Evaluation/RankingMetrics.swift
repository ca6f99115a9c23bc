import Foundation

/// The ranking metrics CompactRec reports, for one user's ranked list.
///
/// Binary relevance. With `hits(K)` the relevant items among the first K recommendations and
/// `R` the user's relevant items:
/// - `recall@K = hits(K) / |R|`
/// - `precision@K = hits(K) / K`
/// - `ndcg@K = DCG / IDCG`, `DCG = sum over hit ranks r (1-based) of 1 / log2(r + 1)`, IDCG the
///   same sum over ranks 1...min(|R|, K)
/// - `hr@K = 1` if any hit, else 0
/// - `mrr@K = 1 / rank of the first hit`, 0 if none.
public enum RankingMetric: String, CaseIterable, Sendable {
  case recall, precision, ndcg, hr, mrr

  /// The key used in reports and JSON, e.g. `recall@20`.
  public func key(_ k: Int) -> String { "\(rawValue)@\(k)" }
}

/// Sums of per-user metrics, combined over users and batches, then averaged.
public struct MetricAccumulator: Sendable {
  /// The cutoffs K, ascending.
  public let cutoffs: [Int]
  /// Per metric and cutoff, the sum over users.
  private var sums: [String: Double]
  /// Users that contributed (had at least one relevant item).
  public private(set) var users: Int = 0

  /// Creates an empty accumulator. Precondition: cutoffs are positive.
  public init(cutoffs: [Int]) {
    precondition(!cutoffs.isEmpty && cutoffs.allSatisfy { $0 > 0 }, "cutoffs must be positive")
    self.cutoffs = Array(Set(cutoffs)).sorted()
    sums = [:]
    for k in self.cutoffs { for m in RankingMetric.allCases { sums[m.key(k)] = 0 } }
  }

  /// Adds one user's ranked list (best first, at least max(cutoffs) long unless fewer items
  /// exist) against its relevant items. Users with no relevant items are ignored and return
  /// false. O(len(ranked) + |relevant|).
  @discardableResult
  public mutating func add(ranked: some Collection<Int32>, relevant: some Collection<Int32>) -> Bool {
    let relevantSet = Set(relevant)
    if relevantSet.isEmpty { return false }
    users += 1
    let maxK = cutoffs.last!
    var hits = 0
    var dcg = 0.0
    var firstHit = 0
    var ci = 0
    var rank = 0
    func close(at k: Int) {
      var idcg = 0.0
      for r in 1...min(relevantSet.count, k) { idcg += 1 / log2(Double(r) + 1) }
      sums[RankingMetric.recall.key(k)]! += Double(hits) / Double(relevantSet.count)
      sums[RankingMetric.precision.key(k)]! += Double(hits) / Double(k)
      sums[RankingMetric.ndcg.key(k)]! += dcg / idcg
      sums[RankingMetric.hr.key(k)]! += hits > 0 ? 1 : 0
      sums[RankingMetric.mrr.key(k)]! += firstHit > 0 ? 1 / Double(firstHit) : 0
    }
    for item in ranked {
      if rank == maxK { break }
      rank += 1
      if relevantSet.contains(item) {
        hits += 1
        dcg += 1 / log2(Double(rank) + 1)
        if firstHit == 0 { firstHit = rank }
      }
      while ci < cutoffs.count && cutoffs[ci] == rank {
        close(at: cutoffs[ci])
        ci += 1
      }
    }
    // A list shorter than a cutoff (few items) counts as if padded with misses.
    while ci < cutoffs.count {
      close(at: cutoffs[ci])
      ci += 1
    }
    return true
  }

  /// Adds a user whose target item has `rank` (1-based) in a sampled candidate list: the
  /// sampled protocol, where there is exactly one relevant item.
  public mutating func add(targetRank rank: Int) {
    users += 1
    for k in cutoffs {
      let hit = rank <= k
      let gain = hit ? 1 / log2(Double(rank) + 1) : 0
      sums[RankingMetric.recall.key(k)]! += hit ? 1 : 0
      sums[RankingMetric.precision.key(k)]! += hit ? 1 / Double(k) : 0
      sums[RankingMetric.ndcg.key(k)]! += gain
      sums[RankingMetric.hr.key(k)]! += hit ? 1 : 0
      sums[RankingMetric.mrr.key(k)]! += hit ? 1 / Double(rank) : 0
    }
  }

  /// Adds another accumulator's sums (same cutoffs).
  public mutating func merge(_ other: MetricAccumulator) {
    precondition(other.cutoffs == cutoffs)
    users += other.users
    for (key, v) in other.sums { sums[key]! += v }
  }

  /// Averages over contributing users: `metric@K -> value` (0 when no user contributed).
  public func averages(_ metrics: [RankingMetric] = RankingMetric.allCases) -> [String: Double] {
    var out: [String: Double] = [:]
    for k in cutoffs {
      for m in metrics {
        out[m.key(k)] = users == 0 ? 0 : sums[m.key(k)]! / Double(users)
      }
    }
    return out
  }
}
