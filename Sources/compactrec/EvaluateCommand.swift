import ArgumentParser
import CompactRecKit
import Foundation

struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract: "Full-ranking evaluation of a model file on a data set's test (or validation) items.")

  @Argument(help: "Model file (.crm).")
  var modelFile: String

  @OptionGroup var dataOptions: DataOptions

  @Option(help: "Cutoffs, comma separated.")
  var k: String = "5,10,20,50"

  @Option(help: "Which held-out items: test or validation.")
  var target: String = "test"

  @Flag(
    name: .customLong("keep-seen"),
    help: "Do not exclude the user's history from the ranking (sequential data with repeats).")
  var keepSeen = false

  @Option(
    help:
      "Items left out of each user's ranking: history (training and validation items, the default) or train (training items only, as published LightGCN figures are measured; validation items stay rankable)."
  )
  var exclude: SeenItems = .history

  @Flag(
    name: .customLong("as-histories"),
    help:
      "Rank every user as an unknown user from their history alone, as the server answers a history request (graph and MF models fold it into a user vector)."
  )
  var asHistories = false

  @Option(help: "Also rank each target against N uniform negatives (seeded), reported beside the full ranking.")
  var sampled: Int?

  @Option(help: "Also rank each target against the negatives in this file (`user neg1 neg2 ...`).")
  var negatives: String?

  @Option(name: .customLong("sample-seed"), help: "Seed for --sampled negatives.")
  var sampleSeed: UInt64 = 42

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let cutoffs = try parseCutoffs(k)
    guard let target = EvaluationTarget(rawValue: target) else {
      throw UsageFailure("--target must be test or validation")
    }
    let bundle = try TrainedModel.load(from: modelFile)
    // On the model's own training data, the split, seed and columns it was trained with,
    // unless given here.
    let recorded = bundle.metadata["data_options"]?.objectValue
    let recordedPath = recorded?["path"]?.stringValue ?? bundle.metadata["data"]?.stringValue
    let sameSource = recordedPath.map { OutputPath.sameFile($0, dataOptions.data) } ?? false
    let data =
      sameSource ? dataOptions.defaulting(to: recorded ?? [:]) : dataOptions
    let loaded = try data.load()
    let (dataset, dropped) = loaded.aligned(users: bundle.users, items: bundle.items)
    try requireTargets(dataset, target: target)
    let targetsInTraining = target == .test ? testItemsTrainedOn(dataset, by: bundle) : 0
    if targetsInTraining > 0 {
      printWarning(
        "\(targetsInTraining) test interactions were in the model's training data (another split or --data-seed than training's?); these figures are not a held-out evaluation"
      )
    }
    var evaluator = FullRankingEvaluator(cutoffs: cutoffs, excludeSeen: !keepSeen)
    evaluator.asHistories = asHistories
    evaluator.exclusion = exclude
    let report = evaluator.evaluate(bundle.model, on: dataset, target: target)
    var sampledReport: EvaluationReport?
    if let path = negatives {
      let lists = try NegativeSamples.load(path: path, dataset: dataset)
      sampledReport = SampledEvaluator(cutoffs: cutoffs, negatives: lists).evaluate(
        bundle.model, on: dataset, target: target)
    } else if let n = sampled {
      guard n > 0 else { throw UsageFailure("--sampled must be positive") }
      let lists = NegativeSamples.uniform(count: n, dataset: dataset, seed: sampleSeed)
      sampledReport = SampledEvaluator(cutoffs: cutoffs, negatives: lists).evaluate(
        bundle.model, on: dataset, target: target)
    }
    let sameData = loaded.fingerprint() == bundle.dataFingerprint
    if json {
      var out: [String: JSONValue] = [
        "model": .string(modelFile), "kind": .string(bundle.kind), "target": .string(target.rawValue),
        "protocol": .string(report.protocolName), "metrics": jsonMetrics(report.metrics),
        "users": .number(Double(report.evaluatedUsers)), "skipped_users": .number(Double(report.skippedUsers)),
        "seconds": .number(report.seconds), "same_data_as_training": .bool(sameData),
        "dropped_unknown_ids": .number(Double(dropped)), "targets_in_training": .number(Double(targetsInTraining)),
        "as_histories": .bool(asHistories), "exclude": .string(keepSeen ? "none" : exclude.rawValue),
      ]
      if let s = sampledReport {
        out["sampled"] = .object([
          "protocol": .string(s.protocolName), "metrics": jsonMetrics(s.metrics),
          "users": .number(Double(s.evaluatedUsers)),
        ])
      }
      try printJSON(.object(out))
    } else {
      if !sameData {
        print("note: this data differs from the model's training data (fingerprint); ids were matched by name")
      }
      if dropped > 0 { print("note: \(dropped) interactions with ids unknown to the model were left out") }
      print(
        "\(bundle.kind) on \(terminalSafe(dataOptions.data)) (\(target.rawValue), full ranking over \(dataset.itemCount) items, \(report.evaluatedUsers) users, \(String(format: "%.2f", report.seconds)) s)"
      )
      printMetricTable(report.metrics)
      if let s = sampledReport {
        print("\(s.protocolName) (\(s.evaluatedUsers) targets)")
        printMetricTable(s.metrics)
      }
    }
  }
}

extension SeenItems: ExpressibleByArgument {}

extension EvaluateCommand {
  func validate() throws {
    if keepSeen && exclude != .history { throw ValidationError("--exclude and --keep-seen do not go together") }
  }

  /// Refuses data that shares no ids with the model, or has no `target` items for its users.
  private func requireTargets(_ dataset: Dataset, target: EvaluationTarget) throws {
    guard [dataset.train, dataset.validation, dataset.test].contains(where: { $0.contains { !$0.isEmpty } }) else {
      throw CommandFailure(
        "\(dataOptions.data) shares no user or item ids with the model \(modelFile); nothing to evaluate")
    }
    let targets = target == .test ? dataset.test : dataset.validation
    guard targets.contains(where: { !$0.isEmpty }) else {
      throw CommandFailure(
        "\(dataOptions.data) has no \(target.rawValue) items for the model's users"
          + (target == .validation ? " (it has no validation split; give --split with a validation share)" : ""))
    }
  }

  /// Test interactions the model saw in training although this split's history does not
  /// hold them: a sign of another split or seed than training's. (Validation items are part
  /// of the model's recorded history by design, so they cannot be checked.)
  private func testItemsTrainedOn(_ dataset: Dataset, by bundle: TrainedModel) -> Int {
    let history = dataset.historyBeforeTest()
    var count = 0
    for (u, items) in dataset.test.enumerated() where !items.isEmpty {
      let seen = Set(bundle.seen.row(u)).subtracting(history[u])
      count += items.filter { seen.contains($0) }.count
    }
    return count
  }
}

/// Prints metrics as `name  @K1  @K2 ...` rows.
func printMetricTable(_ metrics: [String: Double]) {
  let keys = orderedMetricKeys(metrics)
  var rows: [String: [(Int, Double)]] = [:]
  var order: [String] = []
  for key in keys {
    let parts = key.split(separator: "@")
    let name = String(parts[0])
    if rows[name] == nil { order.append(name) }
    rows[name, default: []].append((Int(parts[1]) ?? 0, metrics[key]!))
  }
  for name in order {
    let cells = rows[name]!.map { String(format: "@%-3d %.4f", $0.0, $0.1) }.joined(separator: "   ")
    print("  " + name.padding(toLength: 10, withPad: " ", startingAt: 0) + cells)
  }
}
