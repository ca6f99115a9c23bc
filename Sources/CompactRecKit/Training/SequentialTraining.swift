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
  /// layers' frequency blocks come from it too), teacher-forced on every position with Adam,
  /// on the shared `TrainingLoop`. Every `evaluateEvery` epochs it measures full-ranking
  /// NDCG@10 on the validation items (throws `RecipeError.noValidation` when there are none;
  /// history: the training sequence, whose items are
  /// excluded from the ranking as `evaluate` does by default), keeps the best parameters and
  /// stops after `patience` validations without improvement; the test items are never read.
  /// With `checkpoint` set, the whole state (parameters, Adam moments, the batch order's,
  /// dropout's and negatives' generators, the best snapshot) is saved after every epoch, and a
  /// resumed run ends exactly as an uninterrupted one. `summary` says what the run did.
  /// Throws `FrequencyBlocksError` when the block cut does not fit the items,
  /// `TrainingError.diverged` as soon as a batch's loss or, after an epoch, a parameter is
  /// not finite, and `CheckpointError.mismatch` when the checkpoint to resume was written for
  /// other data or settings.
  ///
  /// With `warmStart` (a trained model of the same network, for instance a float model to
  /// quantize), a fresh run starts from its parameters; one of another network is refused
  /// (`RecipeError.warmStart`). With `configuration.quantization`, validation scores the
  /// quantized tables, and the returned model's tables are fixed to their codes.
  public static func train(
    on dataset: Dataset, configuration c: SequentialConfiguration, warmStart: SequentialModel? = nil,
    checkpoint: CheckpointOptions? = nil, observer: TrainingObserver? = nil
  ) throws -> SequentialModel {
    guard c.evaluateEvery == 0 || dataset.hasValidationItems else { throw RecipeError.noValidation }
    var blocks: FrequencyBlocks?
    if c.blockwise != .none { blocks = try c.frequencyBlocks(counts: dataset.trainingCounts()) }
    let model = c.makeModel(items: dataset.itemCount, blocks: blocks)
    let adam = Adam(learningRate: c.learningRate, weightDecay: c.weightDecay)
    var generator = SeededGenerator(seed: c.seed &+ 2)
    let sequences = (0..<dataset.userCount).map { dataset.heldOutUsers[$0] ? [] : dataset.train[$0] }
    let parameters = model.parameters
    let start = try warmStart.map { try startingValues(for: model, from: $0) }
    var best: [Matrix]?
    let loop = TrainingLoop(
      epochs: c.epochs, evaluateEvery: c.evaluateEvery, patience: c.patience, metric: "ndcg@10",
      checkpoint: checkpoint, settings: try c.checkpointSettings, dataFingerprint: dataset.fingerprint())
    model.summary = try loop.run(
      observer: observer,
      trainEpoch: { epoch, progress in
        let batches = epochBatches(sequences, batchSize: c.batchSize, generator: &generator)
        var lossSum = 0.0
        for (b, users) in batches.enumerated() {
          let batch = SequenceBatch(
            training: users.map { sequences[$0] }, maxLength: c.maxLength, padding: model.padding)
          let loss = model.step(batch, optimizer: adam, clipNorm: c.clipNorm)
          try TrainingError.check(loss: loss, epoch: epoch, batch: b + 1)
          lossSum += Double(loss)
          progress(b + 1, batches.count, lossSum / Double(b + 1))
        }
        return lossSum / Double(max(1, batches.count))
      },
      validate: {
        let latent = c.quantization.map { _ in model.quantizeItemTables() }
        defer { latent.map(model.restoreItemTables) }
        return FullRankingEvaluator(cutoffs: [10]).evaluate(model, on: dataset, target: .validation)
          .metrics["ndcg@10"] ?? 0
      },
      keepBest: { best = parameters.map(\.value) },
      restoreBest: { for (p, v) in zip(parameters, best!) { p.value = v } },
      saveState: {
        var tensors = parameters.flatMap { $0.checkpointTensors(adam: adam, prefix: model.tensorName($0)) }
        for (p, v) in zip(parameters, best ?? []) {
          tensors.append(Tensor(name: "best/" + model.tensorName(p), matrix: v))
        }
        let generators = [generator, model.negativeGenerator] + model.encoder.dropouts.map(\.generator)
        tensors.append(
          Tensor(name: "generators", shape: [generators.count, 4], uint64: generators.flatMap(\.state)))
        return tensors
      },
      restoreState: { file in
        for p in parameters { try p.restoreCheckpoint(from: file, adam: adam, prefix: model.tensorName(p)) }
        if file.tensors.contains(where: { $0.name.hasPrefix("best/") }) {
          best = try parameters.map {
            try file.matrix("best/" + model.tensorName($0), rows: $0.value.rows, cols: $0.value.cols)
          }
        }
        let dropouts = model.encoder.dropouts
        let states = try file.uint64s("generators", shape: [2 + dropouts.count, 4])
        func state(_ i: Int) -> SeededGenerator { SeededGenerator(state: Array(states[(4 * i)..<(4 * i + 4)])) }
        generator = state(0)
        model.negativeGenerator = state(1)
        for (i, d) in dropouts.enumerated() { d.generator = state(2 + i) }
      },
      freshStart: { if let start { for (p, v) in zip(parameters, start) { p.value = v } } },
      parameters: { parameters.map(\.value) })
    if c.quantization != nil { model.freezeItemCodes() }
    return model
  }

  /// `source`'s values of `model`'s parameters, matched by name; throws
  /// `RecipeError.warmStart` unless every parameter is there with its shape.
  private static func startingValues(for model: SequentialModel, from source: SequentialModel) throws -> [Matrix] {
    let values = Dictionary(
      source.parameters.map { (source.tensorName($0), $0.value) }, uniquingKeysWith: { first, _ in first })
    return try model.parameters.map { p in
      let name = model.tensorName(p)
      guard let v = values[name], v.rows == p.value.rows, v.cols == p.value.cols else {
        throw RecipeError.warmStart(
          path: "the warm-start model",
          reason: "has no \(name) of \(p.value.rows) x \(p.value.cols): it is another network")
      }
      return v
    }
  }
}

extension SequentialConfiguration {
  /// The settings a resumed run must share with its checkpoint (`checkpointSettings(of:)`):
  /// all but `epochs` (a run may be continued for longer).
  var checkpointSettings: [String: JSONValue] {
    get throws {
      try CompactRecKit.checkpointSettings(of: self, model: architecture.rawValue, seed: seed, changeable: ["epochs"])
    }
  }
}
