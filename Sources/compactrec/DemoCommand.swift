import ArgumentParser
import CompactRecKit
import Foundation

struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Generate the built-in data set, train every available model, and compare them.")

  @Option(help: "Seed of the generated data set.")
  var seed: UInt64 = 7

  @Option(help: "Directory for the trained model files (default: a temporary directory).")
  var out: String?

  @Flag(help: "Print the comparison as JSON.")
  var json = false

  func run() throws {
    var generator = SyntheticData()
    generator.seed = seed
    let dataset = generator.generate()
    let dir = out ?? (NSTemporaryDirectory() + "compactrec-demo-\(getpid())")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    if !json {
      print(
        "CompactRec demo: \(dataset.userCount) users, \(dataset.itemCount) items, \(dataset.summary.interactions) interactions (seed \(seed))"
      )
      print("protocol: leave-one-out (last item = test), full ranking over all items, seen items excluded\n")
    }
    // Short runs at the paper's width, without LightGCN's refit, so that the demo takes
    // seconds and its figures stay comparable from release to release.
    var options = try TrainingOptions.parse([])
    options.dim = 64
    options.epochs = 60
    options.batchSize = 1024
    options.evalEvery = 5
    options.refit = false
    let progress = ProgressDisplay()
    var rows: [Row] = []
    // Every model with its defaults, then LightGCN quantized to 1 bit (HQ-GNN, Hessian-aware
    // GSTE), CpRec-NextItNet (block-wise input and output, cross-block sharing) and the same
    // with its item tables quantized to 2 bits.
    var quantized = options
    quantized.bits = 1
    // The sequential models: shorter windows, fewer epochs, their own batch size.
    var sequential = options
    sequential.dim = nil
    sequential.refit = nil
    sequential.batchSize = nil
    sequential.epochs = 10
    sequential.evalEvery = 2
    sequential.patience = 3
    sequential.maxLength = 20
    var cprec = sequential
    cprec.compression.blockwise = .both
    cprec.compression.sharing = .crossBlock
    var cprecCodes = cprec
    cprecCodes.bits = 2
    let runs: [(name: String, choice: ModelChoice, options: TrainingOptions, float: String)] =
      ModelChoice.allCases.map { ($0.rawValue, $0, $0.architecture == nil ? options : sequential, $0.rawValue) }
      + [
        ("hqgnn-1bit", .lightgcn, quantized, "lightgcn"), ("cprec", .nextitnet, cprec, "nextitnet"),
        ("cprec-2bit", .nextitnet, cprecCodes, "nextitnet"),
      ]
    // Every model file is checked before any training: no user file in --out is replaced.
    for run in runs { try OutputPath("\(dir)/\(run.name).crm", option: "--out").check() }
    for run in runs {
      progress.status("training \(run.name)")
      let start = Date()
      let outcome = try trainModel(run.choice, on: dataset, options: run.options, observer: progress.handle)
      let (model, data) = (outcome.model, outcome.trainedOn)
      let seconds = Date().timeIntervalSince(start)
      progress.finish()
      let path = "\(dir)/\(run.name).crm"
      try TrainedModel(model: model, dataset: data).save(to: path)
      let report = FullRankingEvaluator(cutoffs: [10, 20]).evaluate(model, on: data, target: .test)
      let bytes = model.tensors().reduce(0) { $0 + $1.bytes.count }
      let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
      let floatBytes = rows.first { $0.name == run.float }?.bytes ?? bytes
      rows.append(
        Row(
          name: run.name, metrics: report.metrics, parameters: model.parameterCount, bytes: bytes, fileBytes: fileBytes,
          floatRatio: Double(floatBytes) / Double(max(1, bytes)), seconds: seconds))
    }
    let keys = ["hr@10", "ndcg@10", "recall@20", "ndcg@20", "mrr@20"]
    if json {
      try printJSON(
        .object([
          "users": .number(Double(dataset.userCount)), "items": .number(Double(dataset.itemCount)),
          "seed": .number(Double(seed)),
          "models": .array(
            rows.map { r in
              .object([
                "model": .string(r.name), "metrics": jsonMetrics(r.metrics.filter { keys.contains($0.key) }),
                "parameters": .number(Double(r.parameters)), "model_bytes": .number(Double(r.bytes)),
                "file_bytes": .number(Double(r.fileBytes)),
                "float_bytes_ratio": .number(r.floatRatio), "train_seconds": .number(r.seconds),
              ])
            }),
        ]))
      return
    }
    let header = [
      "model", "HR@10", "NDCG@10", "Recall@20", "NDCG@20", "MRR@20", "params", "model bytes", "vs float", "train s",
    ]
    let widths = [11, 8, 8, 10, 8, 8, 10, 12, 9, 8]
    func line(_ cells: [String]) -> String {
      zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
    print(line(header))
    for r in rows {
      print(
        line(
          [r.name] + keys.map { String(format: "%.4f", r.metrics[$0] ?? 0) } + [
            String(r.parameters), String(r.bytes), String(format: "%.1fx", r.floatRatio),
            String(format: "%.1f", r.seconds),
          ]))
    }
    print("\nmodel files: \(dir)")
  }
}

/// One model's line of the demo's table: its test metrics, parameters, model bytes (its
/// tensors, not the stored histories) and how many times fewer bytes than the float model of
/// the same network.
private struct Row {
  var name: String
  var metrics: [String: Double]
  var parameters: Int
  var bytes: Int
  var fileBytes: Int
  var floatRatio: Double
  var seconds: Double
}
