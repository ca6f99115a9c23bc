import Foundation
import Testing

@testable import CompactRecKit

@Suite("ModelRecipe")
struct ModelRecipeTests {
  private static let binary = CompactRecTool.path

  /// Synthetic data without a validation split of its own.
  private func unvalidated() -> Dataset {
    var generator = SyntheticData()
    generator.users = 200
    generator.items = 100
    var data = generator.generate()
    data.validation = Array(repeating: [], count: data.userCount)
    return data
  }

  private func mf(epochs: Int) -> MatrixFactorization.Configuration {
    var c = MatrixFactorization.Configuration()
    c.dim = 8
    c.epochs = epochs
    c.batchSize = 256
    c.evaluateEvery = 2
    c.patience = 50
    return c
  }

  @Test("BPR models: a validation split is carved when the data has none, and the outcome says what training did")
  func carvesValidation() throws {
    let data = unvalidated()
    let outcome = try ModelRecipe(.matrixFactorization(mf(epochs: 6))).train(on: data)
    #expect(outcome.trainedOn.hasValidationItems && !data.hasValidationItems)
    #expect(outcome.summary?.epochsRun == 6 && outcome.summary?.bestEpoch != nil)
    #expect(outcome.summary?.metric == "recall@20" && outcome.refitEpochs == nil)
    // The model file's record of the summary reads back as the same summary.
    #expect(outcome.summary.flatMap { TrainingSummary(json: $0.json) } == outcome.summary)
    #expect(TrainingSummary(json: .object([:])) == nil)
    // The carved items left training: fewer training interactions than the data has.
    #expect(outcome.trainedOn.train.joined().count < data.train.joined().count)

    var none = ModelRecipe(.matrixFactorization(mf(epochs: 3)))
    none.validationShare = 0
    let unstopped = try none.train(on: data)
    #expect(!unstopped.trainedOn.hasValidationItems)
    #expect(unstopped.summary == TrainingSummary(epochsRun: 3))
  }

  @Test("a refit trains again on all the training data for the epoch validation chose")
  func refit() throws {
    let data = unvalidated()
    var recipe = ModelRecipe(.matrixFactorization(mf(epochs: 6)))
    recipe.refit = true
    let outcome = try recipe.train(on: data)
    let best = try #require(outcome.summary?.bestEpoch)
    #expect(outcome.refitEpochs == best)
    #expect(!outcome.trainedOn.hasValidationItems)
    #expect(outcome.trainedOn.train == data.train)
  }

  @Test("a run stopped early on a longer course (a refit) counts its progress to its own last epoch")
  func progressOfAStoppedCourse() throws {
    var c = mf(epochs: 6)
    c.evaluateEvery = 0
    c.stopAfter = 3
    var epochs: [(epoch: Int, of: Int)] = []
    var batchTotals = Set<Int>()
    _ = try MatrixFactorization.train(on: unvalidated(), configuration: c) { event in
      switch event {
      case .epoch(let epoch, let of, _, _): epochs.append((epoch, of))
      case .batch(_, let of, _, _, _, _): batchTotals.insert(of)
      default: break
      }
    }
    #expect(epochs.map(\.epoch) == [1, 2, 3])
    #expect(epochs.allSatisfy { $0.of == 3 } && batchTotals == [3])
  }

  @Test("by default only a float LightGCN trained from its own start refits; a set refit decides")
  func refitDefault() {
    #expect(ModelRecipe(.lightGCN(LightGCN.Configuration())).refits)
    var quantized = LightGCN.Configuration.fineTune
    quantized.quantization = QuantizationSettings(bits: 4)
    #expect(!ModelRecipe(.lightGCN(quantized)).refits)
    var warm = ModelRecipe(.lightGCN(LightGCN.Configuration()))
    warm.warmStart = ModelRecipe.WarmStart(checkpoint: "base.ckpt")
    #expect(!warm.refits)
    #expect(!ModelRecipe(.matrixFactorization(mf(epochs: 3))).refits)
    var off = ModelRecipe(.lightGCN(LightGCN.Configuration()))
    off.refit = false
    #expect(!off.refits)
    var on = ModelRecipe(.matrixFactorization(mf(epochs: 3)))
    on.refit = true
    #expect(on.refits)
  }

  @Test("trainers refuse early stopping without validation items, in the library's words")
  func noValidation() {
    let data = unvalidated()
    var c = LightGCN.Configuration()
    c.dim = 8
    c.epochs = 2
    #expect(throws: RecipeError.noValidation) { try LightGCN.train(on: data, configuration: c) }
    #expect(throws: RecipeError.noValidation) { try MatrixFactorization.train(on: data, configuration: mf(epochs: 2)) }
    var s = SequentialConfiguration(architecture: .gru4rec)
    s.evaluateEvery = 1
    #expect(throws: RecipeError.noValidation) { try SequentialModel.train(on: data, configuration: s) }
    let text = "\(RecipeError.noValidation)"
    #expect(text.contains("ModelRecipe.validationShare") && text.contains("configuration.evaluateEvery = 0"), "\(text)")
  }

  @Test("a warm start from another model's checkpoint, and a run beyond the machine's memory, are refused up front")
  func guards() throws {
    let data = unvalidated()
    let folder = DataTestFolder()
    let checkpoint = folder.path + "/mf.ckpt"
    var once = mf(epochs: 1)
    once.evaluateEvery = 0
    _ = try MatrixFactorization.train(
      on: data, configuration: once, checkpoint: CheckpointOptions(path: checkpoint, resume: false))
    var warm = ModelRecipe(.lightGCN(LightGCN.Configuration.fineTune))
    warm.warmStart = ModelRecipe.WarmStart(checkpoint: checkpoint)
    #expect(throws: RecipeError.warmStart(path: checkpoint, reason: "is not a LightGCN checkpoint")) {
      try warm.train(on: data)
    }
    var huge = SequentialConfiguration(architecture: .sasrec)
    huge.dim = 16_384
    huge.maxLength = 100_000
    huge.batchSize = 1 << 24
    #expect {
      try ModelRecipe(.sequential(huge)).train(on: data)
    } throws: { error in
      guard case .tooLarge(let bytes, let available) = error as? RecipeError else { return false }
      return bytes > available
    }
    var unfit = SequentialConfiguration(architecture: .gru4rec)
    unfit.sharing = .crossLayer
    #expect(throws: RecipeError.settings("parameter sharing applies to nextitnet and sasrec")) {
      try ModelRecipe(.sequential(unfit)).train(on: data)
    }
  }

  @Test("the recipe's record: the configuration in snake case, the policy, the warm start's rotation resolved")
  func record() throws {
    var c = LightGCN.Configuration.fineTune
    c.quantization = QuantizationSettings(bits: 1)
    var recipe = ModelRecipe(.lightGCN(c))
    recipe.warmStart = ModelRecipe.WarmStart(checkpoint: "base.ckpt")
    let json = try #require(try recipe.json.objectValue)
    #expect(json["model"] == "lightgcn" && json["warm_start"] == "base.ckpt")
    #expect(json["warm_start_rotation"] == "itq", "ITQ is the default at 1 bit")
    #expect(json["learning_rate"] == 0.005 && json["batch_size"] == 2048)
    #expect(json["evaluate_every"] == 5 && json["validation_share"] == 0.1 && json["refit"] == false)
    #expect(json["negatives"] == "uniform" && json["schedule"] == "constant")
    var warmSequential = ModelRecipe(.sequential(SequentialConfiguration(architecture: .sasrec)))
    warmSequential.warmStart = ModelRecipe.WarmStart(checkpoint: "float.crm")
    let sequential = try #require(try warmSequential.json.objectValue)
    #expect(sequential["architecture"] == "sasrec" && sequential["max_length"] == 50 && sequential["seed"] == 2020)
    #expect(sequential["warm_start"] == "float.crm")
    // Frequency-aware widths are part of the record, and a 1-bit tail block takes the ITQ map.
    c.quantization = QuantizationSettings(bits: 4)
    c.quantization?.blocks = WidthBlocks(bits: [4, 1], cutoffs: [100])
    recipe = ModelRecipe(.lightGCN(c))
    recipe.warmStart = ModelRecipe.WarmStart(checkpoint: "base.ckpt")
    let mixed = try #require(try recipe.json.objectValue?["quantization"]?.objectValue?["blocks"]?.objectValue)
    #expect(mixed["bits"] == [4, 1] && mixed["cutoffs"] == [100])
    #expect(try recipe.json.objectValue?["warm_start_rotation"] == "itq")
  }

  @Test(
    "the command line trains exactly the model ModelRecipe trains from the library's defaults, for every kind",
    .enabled(if: binary != nil),
    arguments: [
      ("mostpop", ModelRecipe.Model.mostPopular), ("mf-bpr", .matrixFactorization(MatrixFactorization.Configuration())),
      ("lightgcn", .lightGCN(LightGCN.Configuration())),
      ("nextitnet", .sequential(SequentialConfiguration(architecture: .nextitnet))),
      ("gru4rec", .sequential(SequentialConfiguration(architecture: .gru4rec))),
      ("sasrec", .sequential(SequentialConfiguration(architecture: .sasrec))),
    ])
  func sameAsCommandLine(kind: String, model: ModelRecipe.Model) throws {
    let folder = DataTestFolder()
    var lines = ""
    for u in 0..<80 {
      lines += "u\(u) " + (0..<10).map { "i\((u * 7 + $0 * $0 * 3) % 60)" }.joined(separator: " ") + "\n"
    }
    let log = folder.write("log.txt", lines)
    // Fewer epochs on both sides, so that the test is quick; every other setting is a default.
    let epochs = 3
    let cli = folder.path + "/cli.crm"
    var arguments = ["train", "--model", kind, "--data", log, "--split", "loo", "--out", cli]
    if kind != "mostpop" { arguments += ["--epochs", "\(epochs)"] }
    let result = try CompactRecTool.run(arguments)
    #expect(result.status == 0, "\(result.err)")

    var shortened = model
    switch model {
    case .mostPopular: break
    case .matrixFactorization(var c):
      c.epochs = epochs
      shortened = .matrixFactorization(c)
    case .lightGCN(var c):
      c.epochs = epochs
      shortened = .lightGCN(c)
    case .sequential(var c):
      c.epochs = epochs
      shortened = .sequential(c)
    }
    let data = try DataLoader.load(path: log, options: LoadOptions(split: .leaveOneOut))
    let outcome = try ModelRecipe(shortened).train(on: data)
    let library = folder.path + "/library.crm"
    try TrainedModel(model: outcome.model, dataset: outcome.trainedOn).save(to: library)
    let a = try ModelFile.read(from: cli)
    let b = try ModelFile.read(from: library)
    #expect(a.kind == b.kind && a.hyperParameters == b.hyperParameters)
    #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
    #expect(zip(a.tensors, b.tensors).allSatisfy { $0.bytes == $1.bytes }, "the models differ")
  }
}
