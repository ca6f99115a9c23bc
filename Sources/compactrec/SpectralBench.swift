import ArgumentParser
import CompactRecKit
import Foundation

/// How well LightGCN's spectral start ranks before any training, and how long it takes.
struct SpectralBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "spectral",
    abstract:
      "Time the truncated SVD behind LightGCN's spectral start and measure the start's validation Recall@20 and NDCG@20 (no training)."
  )

  @OptionGroup var data: DataOptions

  @Option(help: "Ranks (embedding widths) to measure, comma separated.")
  var ranks: String = "64"

  @Option(help: "Exponents p of the filter g(s) = s^p on the singular values, comma separated.")
  var powers: String = "1"

  @Option(help: "Fraction of each user's training items held out for validation (as training carves it).")
  var validation: Double = 0.1

  @Option(help: "Seed of the carved validation split and of the SVD.")
  var seed: UInt64 = 2020

  @Option(help: "LightGCN propagation layers.")
  var layers: Int = 3

  func validate() throws {
    try require(validation, "--validation", above: 0, below: 1)
    try require(layers, "--layers", in: 0...8)
  }

  func run() throws {
    let ranks = try parseCutoffs(self.ranks)
    let powers = try self.powers.split(separator: ",").map { text -> Float in
      guard let p = Float(text.trimmingCharacters(in: .whitespaces)), p > 0, p <= 100 else {
        throw UsageFailure("--powers: '\(text)' is not a number in (0, 100]")
      }
      return p
    }
    let dataset = try data.load().carvingValidation(fraction: validation, seed: seed)
    let weights = Array(repeating: 1 / Float(layers + 1), count: layers + 1)
    let matrix = dataset.trainMatrix()
    var rows: [JSONValue] = []
    for rank in ranks {
      let model = LightGCN(matrix: matrix, dim: rank, weights: weights, initStd: 0.1, seed: seed)
      let start = Date()
      let spectrum = GraphSpectrum(graph: model.graph, rank: rank, seed: seed)
      let seconds = Date().timeIntervalSince(start)
      for power in powers {
        model.embedding.value = SpectralStart(power: power).embeddings(
          from: spectrum, weights: weights, dim: rank, rms: 0.1, seed: seed)
        model.propagate()
        let report = FullRankingEvaluator(cutoffs: [20]).evaluate(model, on: dataset, target: .validation)
        rows.append(
          .object([
            "rank": .number(Double(rank)), "power": .number(Double(power)), "svd_seconds": .number(seconds),
            "recall@20": .number(report.metrics["recall@20"] ?? 0), "ndcg@20": .number(report.metrics["ndcg@20"] ?? 0),
            "top_singular_values": .array(spectrum.values.prefix(4).map { .number(Double($0)) }),
          ]))
      }
    }
    try printJSON(
      .object([
        "benchmark": .string("spectral"), "data": .string(data.data), "users": .number(Double(dataset.userCount)),
        "items": .number(Double(dataset.itemCount)), "target": .string("validation"), "results": .array(rows),
        "machine": machineDescription(),
      ]))
  }
}
