/// Early stopping on a validation metric: training stops after `patience` validation runs
/// without improvement, and the caller keeps the parameters of the best run. The test set is
/// never consulted, so the stopping point is chosen honestly.
public struct EarlyStopping: Sendable {
  /// Metric key watched, e.g. `recall@20` (higher is better).
  public let metric: String
  /// Validation runs without improvement tolerated before stopping.
  public let patience: Int
  /// Best value seen so far.
  public private(set) var best = -Double.infinity
  /// Epoch of the best value (0 before any run).
  public private(set) var bestEpoch = 0
  /// Validation runs since the last improvement.
  public private(set) var runsWithoutImprovement = 0

  public init(metric: String = "recall@20", patience: Int = 5) {
    precondition(patience >= 1, "patience must be at least 1")
    self.metric = metric
    self.patience = patience
  }

  /// Resumes a watch whose counters were saved in a checkpoint.
  public init(metric: String, patience: Int, best: Double, bestEpoch: Int, runsWithoutImprovement: Int) {
    self.init(metric: metric, patience: patience)
    self.best = best
    self.bestEpoch = bestEpoch
    self.runsWithoutImprovement = runsWithoutImprovement
  }

  /// Records a validation result; returns whether it improved and whether to stop now.
  public mutating func record(_ value: Double, epoch: Int) -> (improved: Bool, stop: Bool) {
    if value > best {
      best = value
      bestEpoch = epoch
      runsWithoutImprovement = 0
      return (true, false)
    }
    runsWithoutImprovement += 1
    return (false, runsWithoutImprovement >= patience)
  }
}
