import ArgumentParser
import CompactRecKit
import Foundation

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Benchmarks that print one JSON object.",
    subcommands: [
      TopKBench.self, RetrievalBench.self, LightGCNEpochBench.self, SeqEpochBench.self, SpectralBench.self,
      StepBitsBench.self,
    ])
}

/// All-users full-ranking top-K from float embeddings, seen items excluded.
struct TopKBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "topk",
    abstract: "Time top-K for every user over every item from float embeddings, seen items excluded.")

  @Option(help: "Data whose training interactions are the seen items (e.g. ../shared/data/gowalla).")
  var data: String

  @Option(help: "A trained mf-bpr model file whose embeddings are searched; without it, seeded Gaussian embeddings.")
  var model: String?

  @Option(help: "Embedding width when no model is given.")
  var dim: Int = 64

  @Option(name: .short, help: "Items per user.")
  var k: Int = 20

  @Option(name: .customLong("repeat"), help: "Timed repetitions (the best and all are reported).")
  var repetitions: Int = 3

  func validate() throws {
    try require(dim, "--dim", in: SettingLimits.dim)
    try require(k, "-k", in: 1...100_000)
    try require(repetitions, "--repeat", in: 1...1_000)
  }

  func run() throws {
    var options = LoadOptions()
    options.split = nil
    let dataset = try DataLoader.load(path: data, options: options)
    let search: MatrixFactorization
    let source: String
    if let model {
      let bundle = try TrainedModel.load(from: model)
      guard let mf = bundle.model as? MatrixFactorization else {
        throw UsageFailure("\(model) is a \(bundle.kind) model; bench topk needs mf-bpr embeddings")
      }
      guard bundle.users == dataset.users, bundle.items == dataset.items else {
        throw UsageFailure("\(model) was trained on different users or items than \(data)")
      }
      search = mf
      source = model
    } else {
      var g = SeededGenerator(seed: 1)
      search = MatrixFactorization(
        userEmbedding: Matrix(rows: dataset.userCount, cols: dim, gaussianStd: 0.1, generator: &g),
        itemEmbedding: Matrix(rows: dataset.itemCount, cols: dim, gaussianStd: 0.1, generator: &g))
      source = "gaussian(seed 1)"
    }
    let buildStart = Date()
    search.prepareSearch()
    let indexSeconds = Date().timeIntervalSince(buildStart)
    let seen = dataset.historyBeforeTest()
    let queries = (0..<dataset.userCount).map { ScoringQuery(user: Int32($0), exclude: seen[$0]) }
    let times = timeSearch(queries, repetitions: repetitions) { search.recommend($0, k: k) }
    try printJSON(
      .object([
        "benchmark": .string("topk"), "users": .number(Double(dataset.userCount)),
        "items": .number(Double(dataset.itemCount)), "dim": .number(Double(search.dim)), "k": .number(Double(k)),
        "embeddings": .string(source), "seen_excluded": .bool(true),
        "seconds": .number(times.min()!), "index_seconds": .number(indexSeconds),
        "all_seconds": .array(times.map { .number($0) }),
        "threads": .number(Double(Parallel.workers)), "machine": machineDescription(),
      ]))
  }
}

/// All-users top-K from a model file, seen items (stored in the file) excluded: from codes for
/// a quantized (hqgnn) model, from float embeddings otherwise.
struct RetrievalBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "retrieval",
    abstract: "Time top-K for every user of a model file over every item, seen items excluded.")

  @Option(
    help:
      "A trained model file (.crm): hqgnn codes, lightgcn / mf-bpr float embeddings, or a sequential model (each user's stored history is the query)."
  )
  var model: String

  @Option(name: .short, help: "Items per user.")
  var k: Int = 20

  @Option(name: .customLong("repeat"), help: "Timed repetitions (the best and all are reported).")
  var repetitions: Int = 3

  func validate() throws {
    try require(k, "-k", in: 1...100_000)
    try require(repetitions, "--repeat", in: 1...1_000)
  }

  func run() throws {
    let loadStart = Date()
    let bundle = try TrainedModel.load(from: model)  // a code model builds its index here
    let loadSeconds = Date().timeIntervalSince(loadStart)
    let users = bundle.users.count
    let items = bundle.items.count
    let queries = (0..<users).map { u in
      ScoringQuery(user: Int32(u), history: bundle.histories[u], exclude: bundle.seen.row(u).map { $0 })
    }
    var info: [String: JSONValue] = [:]
    var encoderPass: (() -> Void)?
    var outputPass: (() -> Void)?
    let buildStart = Date()
    if let sequential = bundle.model as? SequentialModel {
      guard bundle.hasHistories else {
        throw UsageFailure("\(model) was saved with --history none: a sequential model needs the users' sequences")
      }
      // Each user's stored history is the query; the encoder's share of the time is measured
      // apart, so the output layer's is the rest.
      encoderPass = { _ = sequential.finalHidden(queries) }
      let hidden = sequential.finalHidden(queries)
      outputPass = { _ = sequential.search(hidden: hidden, queries, k: k) }
      info["dim"] = .number(Double(sequential.configuration.dim))
      info["architecture"] = .string(sequential.configuration.architecture.rawValue)
    } else if let codes = bundle.model as? QuantizedEmbeddings {
      info["bits"] = .number(Double(codes.items.bits))
      info["dim"] = .number(Double(codes.items.dim))
      // Codes plus the step of each item row, as stored; the index's copy in memory apart.
      info["bytes_per_item"] = .number(Double(codes.items.wordsPerRow * 8 + 4))
      info["index_bytes_per_item"] = .number(codes.index.bytesPerItem)
    } else if let mixed = bundle.model as? MixedWidthEmbeddings {
      info["block_bits"] = .array(mixed.items.widths.map { .number(Double($0)) })
      info["dim"] = .number(Double(mixed.items.dim))
      // Codes, steps and block marks as stored, per item; the index's copy in memory apart.
      info["bytes_per_item"] = .number(Double(mixed.itemBytes) / Double(max(1, items)))
      info["index_bytes_per_item"] = .number(mixed.indexBytesPerItem)
      info["widened_search"] = .bool(mixed.searchesWidenedCodes)
    } else if let scorer = (bundle.model as? LightGCNEmbeddings)?.scorer ?? (bundle.model as? MatrixFactorization) {
      // A LightGCN file holds its final embeddings as an MF scorer, searched the same way.
      info["dim"] = .number(Double(scorer.dim))
      info["bytes_per_item"] = .number(Double(scorer.dim * 4))
      info["index_bytes_per_item"] = .number(scorer.prepareSearch().bytesPerItem)
    } else {
      throw UsageFailure(
        "\(model) is a \(bundle.kind) model; bench retrieval needs hqgnn, hqgnn-mixed, lightgcn, mf-bpr or a sequential model"
      )
    }
    let indexSeconds = Date().timeIntervalSince(buildStart)
    var statistics = SearchStatistics()
    let times = timeRepeated(repetitions) {
      let result = bundle.model.search(queries, k: k)
      precondition(result.rankings.count == queries.count)
      statistics = result.statistics
    }
    if statistics.tailBlocks > 0 {
      let met = Double(statistics.tailBlocks)
      info["skipped_tail_block_fraction"] = .number(Double(statistics.skippedTailBlocks) / met)
      info["skipped_after_product_fraction"] = .number(Double(statistics.skippedAfterProduct) / met)
    } else {
      // Share of (user, item) pairs looked at one by one before the bounds ruled out the rest.
      info["scanned_fraction"] = .number(Double(statistics.scanned) / Double(max(1, statistics.pairs)))
    }
    if let encoderPass, let outputPass {
      info["encoder_seconds"] = .number(timeRepeated(repetitions, encoderPass).min()!)
      info["output_seconds"] = .number(timeRepeated(repetitions, outputPass).min()!)
    }
    info["queries_per_second"] = .number(Double(users) / times.min()!)
    let fileBytes = (try? FileManager.default.attributesOfItem(atPath: model)[.size] as? Int) ?? 0
    info.merge([
      "benchmark": .string("retrieval"), "model": .string(model), "kind": .string(bundle.kind),
      "users": .number(Double(users)), "items": .number(Double(items)), "k": .number(Double(k)),
      "seen_excluded": .bool(true), "seconds": .number(times.min()!), "index_seconds": .number(indexSeconds),
      "load_seconds": .number(loadSeconds),
      "all_seconds": .array(times.map { .number($0) }), "file_bytes": .number(Double(fileBytes)),
      "threads": .number(Double(Parallel.workers)), "machine": machineDescription(),
    ]) { $1 }
    try printJSON(.object(info))
  }
}

/// LightGCN training speed at the reference workload: one full propagation (forward and
/// backward) per batch of triples, every training interaction once per epoch.
struct LightGCNEpochBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lightgcn-epoch", abstract: "Time LightGCN training epochs at the reference workload.")

  @Option(help: "Data with a given split (e.g. ../shared/data/gowalla).")
  var data: String

  @Option(help: "Triples per batch.")
  var batch: Int = 2048

  @Option(help: "Embedding width.")
  var dim: Int = 64

  @Option(help: "Propagation layers.")
  var layers: Int = 3

  @Option(help: "Storage of the propagated layers in training steps: float16 or float32.")
  var precision: PropagationPrecision = .float16

  @Option(help: "Timed epochs.")
  var epochs: Int = 1

  @Option(help: "Training loss: bpr or softmax:N:T[:dot].")
  var loss = GraphLoss.bpr

  func validate() throws {
    try require(batch, "--batch", in: SettingLimits.batchSize)
    try require(dim, "--dim", in: SettingLimits.dim)
    try require(layers, "--layers", in: SettingLimits.propagationLayers)
    try require(epochs, "--epochs", in: 1...1_000)
  }

  func run() throws {
    let dataset = try DataLoader.load(path: data)
    var c = LightGCN.Configuration()
    c.dim = dim
    c.layers = layers
    c.precision = precision
    c.batchSize = batch
    c.epochs = epochs
    c.evaluateEvery = 0
    c.loss = loss
    let clock = EpochClock()
    let model = try LightGCN.train(on: dataset, configuration: c, observer: clock.record)
    // Mean seconds per epoch of each phase of the steps, and of the rest of the epoch (sampling,
    // gathering the batch's rows).
    let epochs = Double(max(1, clock.epochSeconds.count))
    var phases = model.phases.named.map { ($0.name, JSONValue.number($0.seconds / epochs)) }
    phases.append(("other", .number((clock.epochSeconds.reduce(0, +) - model.phases.total) / epochs)))
    try printJSON(
      .object(
        [
          "benchmark": .string("lightgcn-epoch"), "nodes": .number(Double(dataset.userCount + dataset.itemCount)),
          "train_interactions": .number(Double(dataset.trainInteractionCount)), "dim": .number(Double(dim)),
          "layers": .number(Double(layers)), "batch": .number(Double(batch)),
          "precision": .string(precision.rawValue), "loss": .string(loss.description),
          "phase_seconds_per_epoch": .object(Dictionary(uniqueKeysWithValues: phases)),
        ].merging(clock.fields) { $1 }))
  }
}

/// Sequential model training speed: teacher-forced epochs over every user's training sequence
/// (leave-one-out split), full softmax over all items or CpRec's layers (`CompressionOptions`).
struct SeqEpochBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "seq-epoch", abstract: "Time training epochs of a sequential model (leave-one-out split).")

  @Option(help: "nextitnet, gru4rec or sasrec.")
  var model: SequentialArchitecture

  @Option(help: "Sequences, one user per line (e.g. ../shared/data/amazon-beauty).")
  var data: String

  @Option(help: "Embedding width.")
  var dim: Int = 64

  @Option(help: "Positions per training window.")
  var maxLength: Int = 50

  @Option(help: "Sequences per batch.")
  var batch: Int = 128

  @Option(help: "Timed epochs.")
  var epochs: Int = 1

  func validate() throws {
    try require(batch, "--batch", in: SettingLimits.batchSize)
    try require(dim, "--dim", in: SettingLimits.dim)
    try require(maxLength, "--max-length", in: SettingLimits.maxLength)
    try require(epochs, "--epochs", in: 1...1_000)
    try compression.check()
  }

  @OptionGroup var compression: CompressionOptions

  func run() throws {
    let dataset = try DataLoader.load(path: data, options: LoadOptions(split: .leaveOneOut))
    var c = SequentialConfiguration(architecture: model)
    c.dim = dim
    c.maxLength = maxLength
    c.batchSize = batch
    c.epochs = epochs
    c.evaluateEvery = 0
    compression.apply(to: &c)
    let clock = EpochClock()
    _ = try train(ModelRecipe(.sequential(c)), on: dataset, observer: clock.record)
    let positions = dataset.train.reduce(0) { $0 + max(0, min($1.count - 1, maxLength)) }
    try printJSON(
      .object(
        [
          "benchmark": .string("seq-epoch"), "model": .string(model.rawValue), "data": .string(data),
          "users": .number(Double(dataset.userCount)), "items": .number(Double(dataset.itemCount)),
          "trained_positions": .number(Double(positions)), "dim": .number(Double(dim)),
          "max_length": .number(Double(maxLength)), "batch": .number(Double(batch)),
        ].merging(clock.fields) { $1 }.merging(compression.summary) { $1 }))
  }
}

/// Collects the seconds of each epoch and the batches per epoch from training events, for the
/// epoch benchmarks.
final class EpochClock {
  /// Each finished epoch's seconds.
  private(set) var epochSeconds: [Double] = []
  private var batches = 0
  private let start = Date()

  func record(_ event: TrainingEvent) {
    if case .epoch(_, _, _, let s) = event { epochSeconds.append(s) }
    if case .batch(_, _, _, let total, _, _) = event { batches = total }
  }

  /// The JSON fields every epoch benchmark prints: the best and every epoch's seconds, batches
  /// per epoch, total seconds, threads and the machine.
  var fields: [String: JSONValue] {
    [
      "batches_per_epoch": .number(Double(batches)), "seconds_per_epoch": .number(epochSeconds.min() ?? 0),
      "all_epoch_seconds": .array(epochSeconds.map { .number($0) }),
      "total_seconds": .number(Date().timeIntervalSince(start)),
      "threads": .number(Double(Parallel.workers)), "machine": machineDescription(),
    ]
  }
}

/// Seconds of each of `repetitions` (at least one) runs of `search` over all `queries`.
func timeSearch(
  _ queries: [ScoringQuery], repetitions: Int, _ search: ([ScoringQuery]) -> [Ranking]
) -> [Double] {
  timeRepeated(repetitions) { precondition(search(queries).count == queries.count) }
}

/// Seconds of each of `repetitions` (at least one) runs of `body`.
func timeRepeated(_ repetitions: Int, _ body: () -> Void) -> [Double] {
  (0..<max(1, repetitions)).map { _ in
    let start = Date()
    body()
    return Date().timeIntervalSince(start)
  }
}

/// CPU model and core count, recorded beside every benchmark figure.
func machineDescription() -> JSONValue {
  var model = "unknown"
  if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
    let name = line.split(separator: ":").last
  {
    model = name.trimmingCharacters(in: .whitespaces)
  }
  return .object([
    "cpu": .string(model), "cores": .number(Double(ProcessInfo.processInfo.activeProcessorCount)),
    "memory_gib": .number((Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824).rounded()),
  ])
}
