import ArgumentParser
import CompactRecKit
import Foundation

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Train a model and write it to a .crm file.")

  @Option(help: "Model: \(ModelChoice.allValueStrings.joined(separator: ", ")).")
  var model: ModelChoice

  @OptionGroup var dataOptions: DataOptions
  @OptionGroup var training: TrainingOptions

  @Option(help: "Output model file (.crm).")
  var out: String

  @Flag(help: "Print the result as JSON.")
  var json = false

  @Flag(help: "Print one line per epoch even when standard error is not a terminal.")
  var verbose = false

  func run() throws {
    let progress = ProgressDisplay(verbose: verbose)
    progress.status("loading \(dataOptions.data)")
    let dataset = try dataOptions.load()
    let start = Date()
    let (trained, data) = trainModel(model, on: dataset, options: training, observer: progress.handle)
    let seconds = Date().timeIntervalSince(start)
    progress.finish()
    let bundle = TrainedModel(
      model: trained, dataset: data,
      metadata: [
        "train_seconds": .number(seconds), "data": .string(dataOptions.data),
        "recipe": .object(training.summary(for: model)),
      ])
    try bundle.save(to: out)
    let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
    let parameters = trained.tensors().reduce(0) { $0 + $1.elementCount }
    if json {
      try printJSON(
        .object([
          "model": .string(model.rawValue), "out": .string(out), "train_seconds": .number(seconds),
          "parameters": .number(Double(parameters)), "file_bytes": .number(Double(bytes)),
          "users": .number(Double(dataset.userCount)), "items": .number(Double(dataset.itemCount)),
        ]))
    } else {
      print(dataset.summary)
      print(
        "trained \(model.rawValue) on \(dataset.userCount) users x \(dataset.itemCount) items in \(String(format: "%.1f", seconds)) s"
      )
      print("wrote \(out): \(parameters) parameters, \(bytes) bytes")
    }
  }
}
