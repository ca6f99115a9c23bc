import Foundation
import Testing

@testable import CompactRecKit

@Suite("Checkpoints")
struct CheckpointTests {
  private func demo() -> Dataset {
    var generator = SyntheticData()
    generator.users = 300
    generator.items = 150
    return generator.generate()
  }

  private func lightGCNConfig(epochs: Int) -> LightGCN.Configuration {
    var c = LightGCN.Configuration()
    c.dim = 8
    c.layers = 2
    c.epochs = epochs
    c.batchSize = 256
    c.evaluateEvery = 2
    c.patience = 10
    // A constant rate, so that a 3-epoch run is the first half of a 6-epoch one (the default
    // spectral start and dynamic negatives stay on).
    c.schedule = .constant
    return c
  }

  @Test(
    "a LightGCN run stopped after 3 epochs and resumed ends exactly like an uninterrupted run",
    arguments: [
      (nil, GraphLoss.bpr), (nil, .softmax(negatives: 64, temperature: 0.2)),
      (QuantizationSettings(bits: 2, estimator: .gste(refreshEvery: 3, probes: 2)), .bpr),
    ])
  func lightGCNResume(quantization: QuantizationSettings?, loss: GraphLoss) throws {
    let data = demo()
    let folder = DataTestFolder()
    let path = folder.path + "/run.ckpt"
    func config(epochs: Int) -> LightGCN.Configuration {
      var c = lightGCNConfig(epochs: epochs)
      c.quantization = quantization
      c.loss = loss
      return c
    }
    let straight = try LightGCN.train(on: data, configuration: config(epochs: 6))
    _ = try LightGCN.train(
      on: data, configuration: config(epochs: 3), checkpoint: CheckpointOptions(path: path, resume: false))
    var epochsRun: [Int] = []
    let resumed = try LightGCN.train(
      on: data, configuration: config(epochs: 6), checkpoint: CheckpointOptions(path: path, resume: true)
    ) { event in
      if case .epoch(let epoch, _, _, _) = event { epochsRun.append(epoch) }
    }
    #expect(epochsRun == [4, 5, 6])
    #expect(resumed.embedding.value == straight.embedding.value)
    // Only the checkpoint is in the folder: no temporary files left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["run.ckpt"])
  }

  @Test("a spectrally started cosine-scheduled run resumed from its epoch-3 checkpoint ends like the whole run")
  func scheduledResume() throws {
    let data = demo()
    let folder = DataTestFolder()
    var c = lightGCNConfig(epochs: 6)
    c.schedule = .cosine
    let straight = try LightGCN.train(on: data, configuration: c)
    // Keep a copy of the checkpoint as it stood after epoch 3, as a killed run leaves it.
    let path = folder.path + "/run.ckpt"
    let copy = folder.path + "/epoch3.ckpt"
    _ = try LightGCN.train(
      on: data, configuration: c, checkpoint: CheckpointOptions(path: path, resume: false, interval: 0)
    ) {
      if case .batch(4, _, 1, _, _, _) = $0 { try? FileManager.default.copyItem(atPath: path, toPath: copy) }
    }
    var epochsRun: [Int] = []
    let resumed = try LightGCN.train(
      on: data, configuration: c, checkpoint: CheckpointOptions(path: copy, resume: true)
    ) {
      if case .epoch(let epoch, _, _, _) = $0 { epochsRun.append(epoch) }
    }
    #expect(epochsRun == [4, 5, 6])
    #expect(resumed.embedding.value == straight.embedding.value)
    // The schedule depends on the epoch count, so a resume with another one is refused.
    try FileManager.default.copyItem(atPath: path, toPath: copy + ".2")
    var longer = c
    longer.epochs = 8
    #expect(throws: CheckpointError.self) {
      try LightGCN.train(
        on: data, configuration: longer, checkpoint: CheckpointOptions(path: copy + ".2", resume: true))
    }
  }

  @Test("the fresh-start preparation (a warm start's mapping) runs on a new run, not on a resumed one")
  func freshStartOnlyWhenNotResumed() throws {
    let matrix = demo().trainMatrix()
    let folder = DataTestFolder()
    func run(epochs: Int, resume: Bool) throws -> Int {
      var freshStarts = 0
      let loop = BPRTrainingLoop(
        epochs: epochs, batchSize: 256, evaluateEvery: 0, patience: 1, samplerSeed: 1,
        checkpoint: CheckpointOptions(path: folder.path + "/loop.ckpt", resume: resume))
      try loop.run(
        matrix: matrix, observer: nil, step: { _, _, _, _, _ in 0 }, validate: { 0 }, keepBest: {}, restoreBest: {},
        freshStart: { freshStarts += 1 }, parameters: { [] })
      return freshStarts
    }
    #expect(try run(epochs: 2, resume: true) == 1)  // nothing to resume yet
    #expect(try run(epochs: 3, resume: true) == 0)
    #expect(try run(epochs: 3, resume: false) == 1)
  }

  @Test("a checkpoint is written once its interval has passed and after the last epoch")
  func checkpointInterval() throws {
    let matrix = demo().trainMatrix()
    let folder = DataTestFolder()
    // Per epoch from 2 on: the epoch of the checkpoint in place when the epoch begins (0: none).
    func checkpointedEpochs(interval: Double) throws -> (seen: [Int], last: Int?) {
      let path = folder.path + "/every-\(interval).ckpt"
      var seen: [Int] = []
      let loop = BPRTrainingLoop(
        epochs: 5, batchSize: 100_000, evaluateEvery: 0, patience: 1, samplerSeed: 1,
        checkpoint: CheckpointOptions(path: path, resume: false, interval: interval))
      try loop.run(
        matrix: matrix,
        observer: {
          guard case .batch(let epoch, _, 1, _, _, _) = $0, epoch > 1 else { return }
          let file = try? ModelFile.read(from: path)
          seen.append(file?.metadata["epoch"]?.intValue ?? 0)
        }, step: { _, _, _, _, _ in 0 }, validate: { 0 }, keepBest: {}, restoreBest: {}, parameters: { [] })
      return (seen, try ModelFile.read(from: path).metadata["epoch"]?.intValue)
    }
    let everyEpoch = try checkpointedEpochs(interval: 0)
    #expect(everyEpoch.seen == [1, 2, 3, 4] && everyEpoch.last == 5)
    let hourly = try checkpointedEpochs(interval: 3600)
    #expect(hourly.seen == [0, 0, 0, 0] && hourly.last == 5)
  }

  @Test("speed and time left of a resumed run count only the batches it ran itself")
  func resumedRate() {
    // Resumed at epoch 3 of 5, 10 batches an epoch, 2 s a batch: 20 batches were done before.
    var rate = TrainingRate()
    var (perEpoch, left) = rate.update(epoch: 3, epochs: 5, batch: 1, batches: 10, elapsed: 2)
    #expect(perEpoch == 20 && left == 58)
    (perEpoch, left) = rate.update(epoch: 3, epochs: 5, batch: 5, batches: 10, elapsed: 10)
    #expect(perEpoch == 20 && left == 50)
    (perEpoch, left) = rate.update(epoch: 5, epochs: 5, batch: 10, batches: 10, elapsed: 60)
    #expect(perEpoch == 20 && left == 0)
    var fresh = TrainingRate()
    _ = fresh.update(epoch: 1, epochs: 2, batch: 1, batches: 4, elapsed: 0.5)
    (perEpoch, left) = fresh.update(epoch: 1, epochs: 2, batch: 4, batches: 4, elapsed: 2)
    #expect(perEpoch == 2 && left == 2)
  }

  @Test("an MF-BPR run resumed mid-way keeps its best snapshot and ends like an uninterrupted run")
  func mfResume() throws {
    let data = demo()
    let folder = DataTestFolder()
    let path = folder.path + "/mf.ckpt"
    var c = MatrixFactorization.Configuration()
    c.dim = 8
    c.epochs = 4
    c.batchSize = 256
    c.evaluateEvery = 1
    c.patience = 50
    let straight = try MatrixFactorization.train(on: data, configuration: c)
    var first = c
    first.epochs = 2
    _ = try MatrixFactorization.train(
      on: data, configuration: first, checkpoint: CheckpointOptions(path: path, resume: false))
    var epochsRun: [Int] = []
    let resumed = try MatrixFactorization.train(
      on: data, configuration: c, checkpoint: CheckpointOptions(path: path, resume: true)
    ) { event in
      if case .epoch(let epoch, _, _, _) = event { epochsRun.append(epoch) }
    }
    #expect(epochsRun == [3, 4])
    #expect(resumed.userEmbedding.value == straight.userEmbedding.value)
    #expect(resumed.itemEmbedding.value == straight.itemEmbedding.value)
  }

  @Test("resuming with other settings or other data is refused")
  func mismatch() throws {
    let data = demo()
    let folder = DataTestFolder()
    let path = folder.path + "/run.ckpt"
    _ = try LightGCN.train(
      on: data, configuration: lightGCNConfig(epochs: 1), checkpoint: CheckpointOptions(path: path, resume: false))
    var other = lightGCNConfig(epochs: 2)
    other.learningRate = 0.5
    #expect(throws: CheckpointError.self) {
      try LightGCN.train(on: data, configuration: other, checkpoint: CheckpointOptions(path: path, resume: true))
    }
    var otherData = SyntheticData()
    otherData.users = 300
    otherData.items = 150
    otherData.seed = 99
    #expect(throws: CheckpointError.self) {
      try LightGCN.train(
        on: otherData.generate(), configuration: lightGCNConfig(epochs: 2),
        checkpoint: CheckpointOptions(path: path, resume: true))
    }
  }

  /// Small sequential settings that exercise every kind of state a checkpoint must carry:
  /// dropout masks (GRU4Rec, SASRec), sampled negatives (bce), block-wise layers, sharing and
  /// quantized item tables.
  static let sequentialVariants: [String] = ["nextitnet-cprec", "gru4rec", "sasrec-bce"]

  private func sequentialConfig(_ variant: String, epochs: Int) -> SequentialConfiguration {
    var c: SequentialConfiguration
    switch variant {
    case "nextitnet-cprec":
      c = SequentialConfiguration(architecture: .nextitnet)
      c.dilations = [1, 2]
      c.blockwise = .both
      c.blockShares = [0.6, 0.4]
      c.blockFactor = 2
      c.sharing = .crossLayer
      c.quantization = QuantizationSettings(bits: 2, estimator: .gsteFixed(delta: 0.5))
    case "gru4rec":
      c = SequentialConfiguration(architecture: .gru4rec)
      c.dropout = 0.3
    default:
      c = SequentialConfiguration(architecture: .sasrec)
      c.loss = .bce
      c.dropout = 0.3
    }
    c.dim = 8
    c.maxLength = 10
    c.batchSize = 64
    c.epochs = epochs
    c.evaluateEvery = 1
    c.patience = 50
    return c
  }

  /// Without validation the final parameters are compared (every generator must continue);
  /// with it, the best snapshot and the early-stopping counters must survive the resume too.
  @Test(
    "a sequential run stopped after 3 epochs and resumed ends exactly like an uninterrupted run",
    arguments: sequentialVariants, [false, true])
  func sequentialResume(variant: String, validates: Bool) throws {
    let data = demo()
    let folder = DataTestFolder()
    let path = folder.path + "/seq.ckpt"
    func config(epochs: Int) -> SequentialConfiguration {
      var c = sequentialConfig(variant, epochs: epochs)
      c.evaluateEvery = validates ? 1 : 0
      return c
    }
    let straight = try SequentialModel.train(on: data, configuration: config(epochs: 6))
    _ = try SequentialModel.train(
      on: data, configuration: config(epochs: 3), checkpoint: CheckpointOptions(path: path, resume: false))
    var epochsRun: [Int] = []
    let resumed = try SequentialModel.train(
      on: data, configuration: config(epochs: 6), checkpoint: CheckpointOptions(path: path, resume: true)
    ) { event in
      if case .epoch(let epoch, _, _, _) = event { epochsRun.append(epoch) }
    }
    #expect(epochsRun == [4, 5, 6])
    #expect(resumed.summary == straight.summary)
    #expect(straight.summary?.epochsRun == 6 && straight.summary?.metric == "ndcg@10")
    #expect((straight.summary?.bestEpoch != nil) == validates)
    #expect(resumed.parameters.map(\.value) == straight.parameters.map(\.value))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["seq.ckpt"])
  }

  @Test("a sequential checkpoint refuses a resume with other settings, a setting the checkpoint lacks included")
  func sequentialMismatch() throws {
    let data = demo()
    let folder = DataTestFolder()
    let path = folder.path + "/seq.ckpt"
    _ = try SequentialModel.train(
      on: data, configuration: sequentialConfig("gru4rec", epochs: 1),
      checkpoint: CheckpointOptions(path: path, resume: false))
    var otherDropout = sequentialConfig("gru4rec", epochs: 2)
    otherDropout.dropout = 0.1
    var noClipping = sequentialConfig("gru4rec", epochs: 2)
    noClipping.clipNorm = nil
    for c in [otherDropout, noClipping] {
      #expect(throws: CheckpointError.self) {
        try SequentialModel.train(on: data, configuration: c, checkpoint: CheckpointOptions(path: path, resume: true))
      }
    }
    // The same settings with more epochs continue.
    let longer = try SequentialModel.train(
      on: data, configuration: sequentialConfig("gru4rec", epochs: 2),
      checkpoint: CheckpointOptions(path: path, resume: true))
    #expect(longer.summary?.epochsRun == 2)
  }
}
