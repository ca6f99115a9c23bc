/// What a training loop reports while it runs, for progress display and logs.
/// The library never prints; the caller decides (the CLI draws a progress line on a terminal).
/// `epochs` is the last epoch the run will train: a refit, which stops where validation chose
/// on a longer learning-rate course, reports its own stopping epoch, not the course's length.
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

/// Speed and time left of a training run, from its batch events. Only the batches this
/// process ran count: a resumed run starts mid-way, and the epochs before took no time here.
public struct TrainingRate: Sendable {
  /// Batches done before the first event seen, by the run's own count.
  private var doneBefore: Int?

  public init() {}

  /// Takes a batch event's position and its seconds since the run (this process) started;
  /// returns the seconds an epoch takes at the speed so far and the seconds left if no early
  /// stop ends the run sooner.
  public mutating func update(epoch: Int, epochs: Int, batch: Int, batches: Int, elapsed: Double) -> (
    secondsPerEpoch: Double, remaining: Double
  ) {
    let done = (epoch - 1) * batches + batch
    if doneBefore == nil { doneBefore = done - 1 }
    let perBatch = elapsed / Double(max(1, done - doneBefore!))
    return (perBatch * Double(batches), perBatch * Double(max(0, epochs * batches - done)))
  }
}
