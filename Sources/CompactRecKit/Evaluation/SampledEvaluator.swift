import Foundation

/// Sampled evaluation: each held-out item is ranked only against a fixed list of negatives
/// for its user (for example 99 drawn uniformly with a seed, or read from a file).
///
/// Rank = 1 + number of negatives scoring at least as high as the target: ties count against
/// the target, so a model that scores everything equally gets no credit. Sampled figures
/// overstate quality; report them beside full-ranking figures, never alone.
public struct SampledEvaluator: Sendable {
  /// Cutoffs K.
  public var cutoffs: [Int]
  /// Per user (dense index), the negative items.
  public var negatives: [[Int32]]
  /// Users scored per batch.
  public var batchSize: Int

  public init(cutoffs: [Int] = [5, 10, 20], negatives: [[Int32]], batchSize: Int = 256) {
    self.cutoffs = cutoffs
    self.negatives = negatives
    self.batchSize = batchSize
  }

  /// Measures `model` on `dataset`'s `target` items against the negatives.
  public func evaluate(_ model: Recommender, on dataset: Dataset, target: EvaluationTarget = .test)
    -> EvaluationReport
  {
    precondition(negatives.count == dataset.userCount, "one negative list per user")
    let start = Date()
    let (history, relevant) = dataset.evaluationCases(target: target)
    let users = (0..<dataset.userCount).filter { !relevant[$0].isEmpty && !negatives[$0].isEmpty }
    let n = model.itemCount
    var acc = MetricAccumulator(cutoffs: cutoffs)
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: batchSize * n)
    defer { buffer.deallocate() }
    var b = 0
    while b < users.count {
      let batch = Array(users[b..<min(users.count, b + batchSize)])
      let queries = batch.map { ScoringQuery(user: Int32($0), history: history[$0]) }
      model.score(queries[...], into: buffer)
      for (r, u) in batch.enumerated() {
        let row = buffer + r * n
        for t in relevant[u] {
          let s = row[Int(t)]
          var rank = 1
          for j in negatives[u] where row[Int(j)] >= s || s.isNaN { rank += 1 }
          acc.add(targetRank: rank)
        }
      }
      b += batchSize
    }
    return EvaluationReport(
      metrics: acc.averages([.hr, .ndcg, .mrr]), evaluatedUsers: acc.users,
      skippedUsers: dataset.userCount - users.count, seconds: Date().timeIntervalSince(start),
      protocolName: "sampled-\(negatives.first(where: { !$0.isEmpty })?.count ?? 0)")
  }
}
