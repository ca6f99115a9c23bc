import Foundation

extension SequentialModel {
  /// Batches of one epoch: users in a seeded random order, cut into pools of 50 batches, each
  /// pool sorted by sequence length and cut into batches (so a batch's sequences have similar
  /// lengths and little padding), and the batches shuffled. Sequences under two items are left
  /// out (they have no next item).
  static func epochBatches(_ sequences: [[Int32]], batchSize: Int, generator: inout SeededGenerator) -> [[Int]] {
    var order = sequences.indices.filter { sequences[$0].count >= 2 }
    order.shuffle(using: &generator)
    var batches: [[Int]] = []
    let pool = batchSize * 50
    for start in stride(from: 0, to: order.count, by: pool) {
      let part = order[start..<min(order.count, start + pool)].sorted {
        (sequences[$0].count, $0) < (sequences[$1].count, $1)
      }
      for b in stride(from: 0, to: part.count, by: batchSize) {
        batches.append(Array(part[(part.startIndex + b)..<min(part.endIndex, part.startIndex + b + batchSize)]))
      }
    }
    batches.shuffle(using: &generator)
    return batches
  }

  /// Trains a model on `dataset.train` (each user's sequence, oldest first; the block-wise
  /// layers' frequency blocks come from it too), teacher-forced on
  /// every position with Adam. Every `evaluateEvery` epochs it measures full-ranking NDCG@10 on
  /// the validation items (history: the training sequence, whose items are excluded from the
  /// ranking as `evaluate` does by default), keeps the best
  /// parameters and stops after `patience` validations without improvement; the test items
  /// are never read.
  /// Throws `FrequencyBlocksError` when the block cut does not fit the items, and
  /// `TrainingError.diverged` as soon as a batch's loss or, after an epoch, a parameter is
  /// not finite.
  public static func train(
    on dataset: Dataset, configuration c: SequentialConfiguration, observer: TrainingObserver? = nil
  ) throws -> SequentialModel {
    var blocks: FrequencyBlocks?
    if c.blockwise != .none { blocks = try c.frequencyBlocks(counts: dataset.trainingCounts()) }
    let model = c.makeModel(items: dataset.itemCount, blocks: blocks)
    let adam = Adam(learningRate: c.learningRate, weightDecay: c.weightDecay)
    var generator = SeededGenerator(seed: c.seed &+ 2)
    let sequences = (0..<dataset.userCount).map { dataset.heldOutUsers[$0] ? [] : dataset.train[$0] }
    let validate = c.evaluateEvery > 0 && dataset.validation.contains { !$0.isEmpty }
    var stopping = EarlyStopping(metric: "ndcg@10", patience: c.patience)
    var best: [Matrix]?
    let start = Date()
    for epoch in 1...max(1, c.epochs) {
      let epochStart = Date()
      let batches = epochBatches(sequences, batchSize: c.batchSize, generator: &generator)
      var lossSum = 0.0
      for (b, users) in batches.enumerated() {
        let batch = SequenceBatch(training: users.map { sequences[$0] }, maxLength: c.maxLength, padding: model.padding)
        let loss = model.step(batch, optimizer: adam, clipNorm: c.clipNorm)
        try TrainingError.check(loss: loss, epoch: epoch, batch: b + 1)
        lossSum += Double(loss)
        observer?(
          .batch(
            epoch: epoch, epochs: c.epochs, batch: b + 1, batches: batches.count, loss: lossSum / Double(b + 1),
            elapsed: Date().timeIntervalSince(start)))
      }
      observer?(
        .epoch(
          epoch: epoch, epochs: c.epochs, loss: lossSum / Double(max(1, batches.count)),
          seconds: Date().timeIntervalSince(epochStart)))
      try TrainingError.check(parameters: model.parameters.map(\.value), epoch: epoch)
      guard validate && epoch % c.evaluateEvery == 0 else { continue }
      let report = FullRankingEvaluator(cutoffs: [10]).evaluate(
        model, on: dataset, target: .validation)
      let value = report.metrics["ndcg@10"] ?? 0
      let (improved, stop) = stopping.record(value, epoch: epoch)
      if improved { best = model.parameters.map(\.value) }
      observer?(.validation(epoch: epoch, metric: "ndcg@10", value: value, best: stopping.best, improved: improved))
      if stop {
        observer?(.earlyStop(epoch: epoch, bestEpoch: stopping.bestEpoch))
        break
      }
    }
    if let best { for (p, v) in zip(model.parameters, best) { p.value = v } }
    return model
  }
}
