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

  @Option(help: "Output model file (.crm); an existing file there is replaced only if it is a model file.")
  var out: String

  @Option(
    help:
      "Every model but mostpop: checkpoint file, rewritten atomically (see --checkpoint-interval) and after the last epoch (default: OUT.ckpt); removed once the model is written."
  )
  var checkpoint: String?

  @Option(
    help:
      "Seconds of training between checkpoints: an epoch rewrites the checkpoint once this many have passed since the last one; 0 after every epoch (default 60)."
  )
  var checkpointInterval: Double?

  @Flag(name: .customLong("no-checkpoint"), help: "Do not write checkpoints.")
  var noCheckpoint = false

  @Flag(
    name: .customLong("keep-checkpoint"),
    help: "Keep the last checkpoint after the model is written (e.g. for a later --warm-start).")
  var keepCheckpoint = false

  @Flag(help: "Continue from the checkpoint of an interrupted run with the same data and settings.")
  var resume = false

  @Option(
    help:
      "keep: store each user's history in the model file (recommend excludes seen items, sequential models read it); none: leave it out (a smaller file; requests bring their own --history or --deny)."
  )
  var history: HistoryStorage = .keep

  @Flag(help: "Print the result as JSON.")
  var json = false

  @Flag(help: "Print one line per epoch even when standard error is not a terminal.")
  var verbose = false

  func validate() throws {
    try training.check(for: model)
    for (option, given) in [
      ("--checkpoint", checkpoint != nil), ("--checkpoint-interval", checkpointInterval != nil),
      ("--keep-checkpoint", keepCheckpoint), ("--resume", resume),
    ]
    where given {
      guard model.checkpoints else {
        throw ValidationError(
          "\(option) does not apply to --model \(model.rawValue) (mostpop is not trained in epochs)")
      }
      guard !noCheckpoint else { throw ValidationError("\(option) contradicts --no-checkpoint") }
    }
    try require(checkpointInterval, "--checkpoint-interval", from: 0)
  }

  func run() throws {
    let recipe = training.recipe(for: model)
    // Every path this run writes is checked and claimed before any work starts.
    let checkpointPath = noCheckpoint || !model.checkpoints ? nil : checkpoint ?? out + ".ckpt"
    let checkpointOption = checkpoint == nil ? "--checkpoint (default OUT.ckpt)" : "--checkpoint"
    let inputs = [dataOptions.data] + [training.warmStart].compactMap { $0 }
    try OutputPath(out, option: "--out").check(inputs: inputs)
    var locks = [try OutputLock(out, option: "--out")]
    defer { locks.forEach { $0.release() } }
    if let checkpointPath {
      guard !OutputPath.sameFile(out, checkpointPath) else {
        throw OutputPathError(path: checkpointPath, option: checkpointOption, reason: .sameAs("--out"))
      }
      try OutputPath(checkpointPath, option: checkpointOption, replaceable: resume ? .modelFile : .nothing)
        .check(inputs: inputs)
      if resume && !FileManager.default.fileExists(atPath: checkpointPath) {
        throw UsageFailure("--resume: no checkpoint at \(checkpointPath)")
      }
      locks.append(try OutputLock(checkpointPath, option: checkpointOption))
      if recipe.refits {
        let refitPath = checkpointPath + ".refit"
        try OutputPath(refitPath, option: checkpointOption + " (.refit)", replaceable: resume ? .modelFile : .nothing)
          .check(inputs: inputs)
        locks.append(try OutputLock(refitPath, option: checkpointOption + " (.refit)"))
      }
    }

    let progress = ProgressDisplay(verbose: verbose)
    progress.status("loading \(dataOptions.data)")
    let dataset = try dataOptions.load()
    let start = Date()
    let options = checkpointPath.map {
      var options = CheckpointOptions(path: $0, resume: resume)
      if let checkpointInterval { options.interval = checkpointInterval }
      return options
    }
    let outcome: TrainingOutcome
    do {
      outcome = try train(recipe, on: dataset, checkpoint: options, observer: progress.handle)
    } catch let error as TrainingError {
      progress.finish()
      let kept = checkpointPath.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
      throw CommandFailure(
        "\(error)"
          + (kept.map {
            "; the checkpoint of the last good epoch is kept at \($0) (remove it, or give another --checkpoint, to train again with other settings)"
          } ?? "; nothing was written"))
    }
    let seconds = Date().timeIntervalSince(start)
    progress.finish()
    let trained = outcome.model
    let bundle = TrainedModel(
      model: trained, dataset: outcome.trainedOn,
      metadata: [
        "train_seconds": .number(seconds), "data": .string(dataOptions.data),
        "recipe": try recipe.json,
        "training": outcome.json,
      ], keepHistories: history == .keep)
    try OutputPath(out, option: "--out").check(inputs: inputs)  // Again: a file may have appeared meanwhile.
    try bundle.save(to: out)
    // The checkpoint is this run's own: created by it, or the one it resumed and verified.
    if let checkpointPath, !keepCheckpoint {
      try? FileManager.default.removeItem(atPath: checkpointPath)
      if recipe.refits { try? FileManager.default.removeItem(atPath: checkpointPath + ".refit") }
    }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
    let parameters = trained.parameterCount
    if json {
      try printJSON(
        .object([
          "model": .string(model.rawValue), "out": .string(out), "train_seconds": .number(seconds),
          "parameters": .number(Double(parameters)), "file_bytes": .number(Double(bytes)),
          "users": .number(Double(dataset.userCount)), "items": .number(Double(dataset.itemCount)),
          "training": outcome.json,
        ]))
    } else {
      print(dataset.summary)
      print(
        "trained \(model.rawValue) on \(dataset.userCount) users x \(dataset.itemCount) items in \(String(format: "%.1f", seconds)) s"
      )
      if let summary = outcome.summary {
        print("ran \(summary.epochsRun) epochs" + validationText(summary, refitEpochs: outcome.refitEpochs))
      }
      print("wrote \(terminalSafe(out)): \(parameters) parameters, \(bytes) bytes")
    }
  }
}

/// What validation chose in a training run, and the refit after it, as `train` and `inspect`
/// print it after the epoch count: "; best validation recall@20 0.2034 at epoch 180; refit on
/// all training data for 180 epochs" (empty for a run that did neither).
func validationText(_ summary: TrainingSummary, refitEpochs: Int?) -> String {
  var text = ""
  if let best = summary.bestEpoch, let value = summary.bestValue {
    text += String(format: "; best validation %@ %.4f at epoch %d", terminalSafe(summary.metric), value, best)
  }
  if let refit = refitEpochs { text += "; refit on all training data for \(refit) epochs" }
  return text
}

/// What `train --history` stores.
enum HistoryStorage: String, ExpressibleByArgument, CaseIterable {
  case keep, none
}
