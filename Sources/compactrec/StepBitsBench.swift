import ArgumentParser
import CompactRecKit
import Foundation

/// What storing an HQ-GNN model's steps in 8 bits (`LogSteps`) costs in accuracy and saves in
/// bytes: the model as trained and with its steps rounded, evaluated alike.
struct StepBitsBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "step-bits",
    abstract:
      "Evaluate an hqgnn model file on test with its 32-bit steps and with 8-bit log-scale steps (--step-bits 8), and give the bytes per item of each."
  )

  @Option(help: "An hqgnn model file (.crm).")
  var model: String

  @OptionGroup var data: DataOptions

  func run() throws {
    let trained = try TrainedModel.load(from: model)
    guard let codes = trained.model as? QuantizedEmbeddings else {
      throw UsageFailure("--model: \(model) is a \(trained.kind) model, not an hqgnn one")
    }
    let dataset = try data.defaulting(to: trained.metadata["data_options"]?.objectValue ?? [:]).load()
    let rounded = QuantizedEmbeddings(users: codes.users, items: codes.items, layers: codes.layers, stepBits: 8)
    var rows: [JSONValue] = []
    for (stepBits, candidate) in [(32, codes), (8, rounded)] {
      let metrics = FullRankingEvaluator(cutoffs: [20]).evaluate(candidate, on: dataset, target: .test).metrics
      let itemBytes = candidate.tensors().filter { $0.name.hasPrefix("item_") }.reduce(0) { $0 + $1.bytes.count }
      rows.append(
        .object([
          "step_bits": .number(Double(stepBits)), "recall@20": .number(metrics["recall@20"] ?? 0),
          "ndcg@20": .number(metrics["ndcg@20"] ?? 0),
          "bytes_per_item": .number(Double(itemBytes) / Double(max(1, candidate.itemCount))),
        ]))
    }
    try printJSON(
      .object([
        "benchmark": .string("step-bits"), "model": .string(model), "target": .string("test"),
        "dim": .number(Double(codes.items.dim)), "bits": .number(Double(codes.items.bits)), "results": .array(rows),
      ]))
  }
}
