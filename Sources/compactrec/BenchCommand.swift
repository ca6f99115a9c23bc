import ArgumentParser
import CompactRecKit
import Foundation

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Benchmarks that print one JSON object.",
    subcommands: [TopKBench.self])
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

  func run() throws {
    var options = LoadOptions()
    options.split = nil
    let dataset = try DataLoader.load(path: data, options: options)
    let search: MatrixFactorization
    let source: String
    if let model {
      let bundle = try TrainedModel.load(from: model)
      guard let mf = bundle.model as? MatrixFactorization else {
        throw ValidationError("\(model) is a \(bundle.kind) model; bench topk needs mf-bpr embeddings")
      }
      guard bundle.users == dataset.users, bundle.items == dataset.items else {
        throw ValidationError("\(model) was trained on different users or items than \(data)")
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
    var times: [Double] = []
    for _ in 0..<max(1, repetitions) {
      let start = Date()
      let result = search.recommend(queries, k: k)
      times.append(Date().timeIntervalSince(start))
      precondition(result.count == queries.count)
    }
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
