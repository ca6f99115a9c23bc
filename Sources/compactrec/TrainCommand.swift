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

  @Option(
    help:
      "Checkpoint file, rewritten atomically after every epoch (default: OUT.ckpt); removed once the model is written.")
  var checkpoint: String?

  @Flag(name: .customLong("no-checkpoint"), help: "Do not write checkpoints.")
  var noCheckpoint = false

  @Flag(
    name: .customLong("keep-checkpoint"),
    help: "Keep the last checkpoint after the model is written (e.g. for a later --warm-start).")
  var keepCheckpoint = false

  @Flag(help: "Continue from the checkpoint of an interrupted run with the same data and settings.")
  var resume = false

  @Flag(help: "Print the result as JSON.")
  var json = false

  @Flag(help: "Print one line per epoch even when standard error is not a terminal.")
  var verbose = false

  func run() throws {
    let progress = ProgressDisplay(verbose: verbose)
    progress.status("loading \(dataOptions.data)")
    let dataset = try dataOptions.load()
    let start = Date()
    let checkpointPath = checkpoint ?? out + ".ckpt"
    if resume && noCheckpoint { throw ValidationError("--resume needs checkpoints; drop --no-checkpoint") }
    if resume && !FileManager.default.fileExists(atPath: checkpointPath) {
      throw ValidationError("--resume: no checkpoint at \(checkpointPath)")
    }
    if resume && model.architecture != nil {
      throw ValidationError("--resume: sequential models do not checkpoint yet")
    }
    let options =
      noCheckpoint || model == .mostpop || model.architecture != nil
      ? nil : CheckpointOptions(path: checkpointPath, resume: resume)
    let (trained, data) = try trainModel(
      model, on: dataset, options: training, checkpoint: options, observer: progress.handle)
    let seconds = Date().timeIntervalSince(start)
    progress.finish()
    let bundle = TrainedModel(
      model: trained, dataset: data,
      metadata: [
        "train_seconds": .number(seconds), "data": .string(dataOptions.data),
        "recipe": .object(training.summary(for: model)),
      ])
    try bundle.save(to: out)
    if options != nil && !keepCheckpoint { try? FileManager.default.removeItem(atPath: checkpointPath) }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
    let parameters = trained.tensors().filter { $0.name != SequentialModel.blockOrderTensor }.reduce(0) {
      $0 + $1.elementCount
    }
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
