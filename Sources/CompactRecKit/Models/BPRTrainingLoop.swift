import Foundation

/// The epoch loop shared by the BPR-trained models (MF-BPR, LightGCN): each epoch visits every
/// training interaction once in a seeded random order with a uniform negative, in batches
/// handed to the model's `step`; every `evaluateEvery` epochs it measures validation
/// Recall@20, remembers the best parameters and stops after `patience` runs without
/// improvement. Progress goes to the observer; the test set is never consulted.
struct BPRTrainingLoop {
  var epochs: Int
  var batchSize: Int
  var evaluateEvery: Int
  var patience: Int
  var samplerSeed: UInt64

  /// Runs the loop over `matrix` (the fitted training interactions of `dataset`).
  /// - step: one optimizer step on (users, positives, negatives); returns the batch's mean loss.
  /// - validate: Recall@20 on the validation split for the current parameters.
  /// - keepBest: called when validation improves, to snapshot the parameters.
  /// - restoreBest: called once at the end when a snapshot was taken.
  func run(
    matrix: InteractionMatrix, observer: TrainingObserver?, step: ([Int32], [Int32], [Int32]) -> Double,
    validate: () -> Double, keepBest: () -> Void, restoreBest: () -> Void
  ) {
    var sampler = BPRSampler(matrix: matrix, seed: samplerSeed)
    var stopping = EarlyStopping(metric: "recall@20", patience: patience)
    var snapshotTaken = false
    let batches = (sampler.count + batchSize - 1) / batchSize
    var users: [Int32] = []
    var positives: [Int32] = []
    var negatives: [Int32] = []
    let start = Date()
    for epoch in 1...max(1, epochs) {
      let epochStart = Date()
      sampler.shuffle()
      var lossSum = 0.0
      for b in 0..<batches {
        sampler.fill(
          (b * batchSize)..<min(sampler.count, (b + 1) * batchSize), users: &users, positives: &positives,
          negatives: &negatives)
        lossSum += step(users, positives, negatives)
        observer?(
          .batch(
            epoch: epoch, epochs: epochs, batch: b + 1, batches: batches, loss: lossSum / Double(b + 1),
            elapsed: Date().timeIntervalSince(start)))
      }
      observer?(
        .epoch(
          epoch: epoch, epochs: epochs, loss: lossSum / Double(max(batches, 1)),
          seconds: Date().timeIntervalSince(epochStart)))
      guard evaluateEvery > 0 && epoch % evaluateEvery == 0 else { continue }
      let value = validate()
      let (improved, stop) = stopping.record(value, epoch: epoch)
      if improved {
        keepBest()
        snapshotTaken = true
      }
      observer?(.validation(epoch: epoch, metric: "recall@20", value: value, best: stopping.best, improved: improved))
      if stop {
        observer?(.earlyStop(epoch: epoch, bestEpoch: stopping.bestEpoch))
        break
      }
    }
    if snapshotTaken { restoreBest() }
  }
}
