import Foundation

/// Full-ranking evaluation: every item is scored for every user with held-out items, the
/// user's history is excluded (unless `excludeSeen` is off, as sequential data with repeats
/// may want), top-K is taken once at the largest cutoff, and all metrics at all cutoffs are
/// computed in that one pass.
public struct FullRankingEvaluator: Sendable {
  /// Cutoffs K.
  public var cutoffs: [Int]
  /// Whether items in the user's history are removed from the ranking.
  public var excludeSeen: Bool
  /// Users handed to the model per `recommend` call.
  public var batchSize: Int
  /// Whether each user is ranked as an unknown user from their history alone (`user` nil), as a
  /// server answers a history request: graph and MF models then fold the history into a user
  /// vector instead of reading the trained one. Sequential models read the history either way.
  public var asHistories = false
  /// Which of a user's items are removed from the ranking when `excludeSeen` is on: the whole
  /// history before the target (the default) or, for test targets, the training items alone,
  /// leaving validation items rankable, as the published LightGCN figures are measured.
  public var exclusion = SeenItems.history

  public init(cutoffs: [Int] = [5, 10, 20, 50], excludeSeen: Bool = true, batchSize: Int = 8192) {
    precondition(!cutoffs.isEmpty && cutoffs.allSatisfy { $0 > 0 }, "cutoffs must be positive")
    self.cutoffs = cutoffs
    self.excludeSeen = excludeSeen
    self.batchSize = batchSize
  }

  /// Measures `model` on `dataset`'s `target` items.
  public func evaluate(_ model: Recommender, on dataset: Dataset, target: EvaluationTarget = .test)
    -> EvaluationReport
  {
    let start = Date()
    let (history, relevant) = dataset.evaluationCases(target: target)
    let users = (0..<dataset.userCount).filter { !relevant[$0].isEmpty }
    var acc = MetricAccumulator(cutoffs: cutoffs)
    let k = acc.cutoffs.last!
    var b = 0
    while b < users.count {
      let batch = users[b..<min(users.count, b + batchSize)]
      let queries = batch.map { u in
        let seen = exclusion == .train ? dataset.train[u] : history[u]
        return ScoringQuery(user: asHistories ? nil : Int32(u), history: history[u], exclude: excludeSeen ? seen : [])
      }
      let rankings = model.recommend(queries, k: k)
      for (u, ranking) in zip(batch, rankings) { acc.add(ranked: ranking.items, relevant: relevant[u]) }
      b += batchSize
    }
    return EvaluationReport(
      metrics: acc.averages(), evaluatedUsers: acc.users,
      skippedUsers: dataset.userCount - users.count, seconds: Date().timeIntervalSince(start),
      protocolName: "full")
  }
}

/// The items of a user that full ranking leaves out (`FullRankingEvaluator.exclusion`).
public enum SeenItems: String, Sendable, CaseIterable {
  /// Everything before the target: training and, for test targets, validation items.
  case history
  /// The training items alone; validation items stay in the ranking.
  case train
}
