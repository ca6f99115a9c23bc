/// What a training loop reports while it runs, for progress display and logs.
/// The library never prints; the caller decides (the CLI draws a progress line on a terminal).
public enum TrainingEvent: Sendable {
  /// A batch finished: position in the epoch and the running mean loss of this epoch.
  case batch(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, elapsed: Double)
  /// An epoch finished, with its mean loss and duration in seconds.
  case epoch(epoch: Int, epochs: Int, loss: Double, seconds: Double)
  /// A validation run finished: the stopping metric, its best value so far, and whether
  /// this evaluation improved it.
  case validation(epoch: Int, metric: String, value: Double, best: Double, improved: Bool)
  /// Training stopped early: no improvement for `patience` validation runs.
  case earlyStop(epoch: Int, bestEpoch: Int)
}

/// Receives training events; `nil` means run silently.
public typealias TrainingObserver = (TrainingEvent) -> Void
