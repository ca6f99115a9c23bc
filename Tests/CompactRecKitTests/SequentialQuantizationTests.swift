import Foundation
import Testing

@testable import CompactRecKit

@Suite("Quantized sequential models")
struct SequentialQuantizationTests {
  /// Small synthetic data with a validation split.
  private func demo() -> Dataset {
    var generator = SyntheticData()
    generator.users = 200
    generator.items = 120
    return generator.generate()
  }

  private func configuration(_ architecture: SequentialArchitecture, bits: Int?) -> SequentialConfiguration {
    var c = SequentialConfiguration(architecture: architecture)
    c.dim = 16
    c.maxLength = 10
    c.batchSize = 64
    c.epochs = 2
    c.evaluateEvery = 1
    c.dilations = [1, 2]
    c.blockwise = .both
    c.blockShares = [0.5, 0.5]
    c.blockFactor = 2
    c.quantization = bits.map { QuantizationSettings(bits: $0, estimator: .ste) }
    return c
  }

  @Test(
    "a quantized model's item tables are their codes; the file stores codes and steps alone and scores the same loaded",
    arguments: [(SequentialArchitecture.nextitnet, 1), (.sasrec, 2), (.gru4rec, 4)])
  func codesRoundTrip(architecture: SequentialArchitecture, bits: Int) throws {
    let data = demo()
    let model = try SequentialModel.train(on: data, configuration: configuration(architecture, bits: bits))
    let codes = try #require(model.itemCodes)
    // Input: one table per block; output: the head's and each tail block's.
    #expect(codes.count == model.itemTables.count && codes.count == 4)
    for (table, c) in zip(model.itemTables, codes) {
      #expect(c.bits == bits && table.value == c.dequantized())
    }
    let folder = DataTestFolder()
    let path = folder.path + "/q.crm"
    try TrainedModel(model: model, dataset: data).save(to: path)
    let file = try ModelFile.read(from: path)
    for table in model.itemTables {
      let name = model.tensorName(table)
      #expect(!file.tensors.contains { $0.name == name }, "\(name) stored as floats")
      let stored = try #require(file.tensors.first { $0.name == name + "/codes" })
      #expect(stored.shape == [table.value.rows, (bits * table.value.cols + 7) / 8] && stored.type == .uint8)
    }
    // Parameters count the same way as a float model's: a code is a weight, and a step one more.
    let weights = model.parameters.reduce(0) { $0 + $1.count }
    #expect(model.parameterCount == weights + model.itemTables.reduce(0) { $0 + $1.value.rows })
    let loaded = try #require(try TrainedModel.load(from: path).model as? SequentialModel)
    #expect(loaded.configuration.quantization == model.configuration.quantization)
    #expect(loaded.parameterCount == model.parameterCount)
    #expect(loaded.itemCodes?.map(\.words) == codes.map(\.words))
    let queries = [ScoringQuery(user: nil, history: [1, 2, 3]), ScoringQuery(user: nil, history: [7, 0, 9, 4])]
    var before = [Float](repeating: 0, count: 2 * data.itemCount)
    var after = before
    model.score(queries[...], into: &before)
    loaded.score(queries[...], into: &after)
    #expect(before == after)
  }

  @Test("a quantized step computes the loss at the quantized tables and leaves their float values to the optimizer")
  func quantizedStep() {
    let data = demo()
    var c = configuration(.nextitnet, bits: 2)
    c.blockwise = .none
    let blocks: FrequencyBlocks? = nil
    let stepped = c.makeModel(items: data.itemCount, blocks: blocks)
    let reference = c.makeModel(items: data.itemCount, blocks: blocks)
    let batch = SequenceBatch(training: [[0, 1, 2, 3, 4], [5, 6, 7]], maxLength: 10, padding: stepped.padding)
    let before = stepped.itemTables.map(\.value)
    let loss = stepped.step(batch, optimizer: Adam(learningRate: 1e-3), clipNorm: nil)
    // The reference: the loss at explicitly quantized tables.
    reference.zeroGradients()
    let latent = reference.quantizeItemTables()
    let expected = reference.lossAndGradients(batch)
    reference.restoreItemTables(latent)
    #expect(loss == expected)
    // After the step the tables hold float values again, moved from where they were (Adam
    // moves every element with a gradient by about the learning rate).
    for (table, old) in zip(stepped.itemTables, before) {
      #expect(table.value != old)
      #expect(table.value != PackedCodes(quantizing: table.value, with: RowQuantizer(bits: 2)).dequantized())
    }
  }

  @Test("a quantized run warm-started from a float model file starts from its parameters; another network is refused")
  func warmStart() throws {
    let data = demo()
    let folder = DataTestFolder()
    let float = try SequentialModel.train(on: data, configuration: configuration(.nextitnet, bits: nil))
    let path = folder.path + "/float.crm"
    try TrainedModel(model: float, dataset: data).save(to: path)
    var quantized = configuration(.nextitnet, bits: 2)
    quantized.learningRate = 1e-12  // so the parameters stay where they started
    quantized.epochs = 1
    var recipe = ModelRecipe(.sequential(quantized))
    recipe.warmStart = ModelRecipe.WarmStart(checkpoint: path)
    let outcome = try recipe.train(on: data)
    let model = try #require(outcome.model as? SequentialModel)
    let tables = Set(model.itemTables.map(ObjectIdentifier.init))
    for (p, q) in zip(model.parameters, float.parameters) where !tables.contains(ObjectIdentifier(p)) {
      #expect(p.value.storage.indices.allSatisfy { abs(p.value.storage[$0] - q.value.storage[$0]) < 1e-6 })
    }
    for (table, source) in zip(model.itemTables, float.itemTables) {
      #expect(table.value == PackedCodes(quantizing: source.value, with: RowQuantizer(bits: 2)).dequantized())
    }
    var wider = configuration(.nextitnet, bits: 2)
    wider.dim = 24
    var mismatched = ModelRecipe(.sequential(wider))
    mismatched.warmStart = ModelRecipe.WarmStart(checkpoint: path)
    #expect {
      try mismatched.train(on: data)
    } throws: { error in
      guard case .warmStart(let location, let reason) = error as? RecipeError else { return false }
      return location == path && reason.contains("another network")
    }
  }

  @Test("the Hessian-aware estimator is refused for sequential models, in words a user can act on")
  func hessianRefused() {
    var c = configuration(.gru4rec, bits: 2)
    c.quantization = QuantizationSettings(bits: 2)
    #expect(c.problem?.contains("fixed delta") == true)
  }

  @Test("per-block bit widths: each frequency block's tables take their own width, and the file keeps them")
  func blockBits() throws {
    let data = demo()
    var c = configuration(.nextitnet, bits: 4)
    c.blockShares = [0.5, 0.3, 0.2]
    c.blockBits = [4, 2, 1]
    #expect(c.problem == nil)
    let model = try SequentialModel.train(on: data, configuration: c)
    // Input tables per block, then the output's head and tail blocks.
    #expect(model.itemTableBits == [4, 2, 1, 4, 2, 1])
    #expect(model.itemCodes?.map(\.bits) == [4, 2, 1, 4, 2, 1])
    let folder = DataTestFolder()
    let path = folder.path + "/mixed.crm"
    try TrainedModel(model: model, dataset: data).save(to: path)
    let loaded = try #require(try TrainedModel.load(from: path).model as? SequentialModel)
    #expect(loaded.configuration.blockBits == [4, 2, 1] && loaded.itemTableBits == model.itemTableBits)
    #expect(zip(loaded.itemTables, model.itemTables).allSatisfy { $0.value == $1.value })
    var wrong = c
    wrong.blockBits = [4, 2]
    #expect(wrong.problem?.contains("one bit width per frequency block") == true)
    var unquantized = c
    unquantized.quantization = nil
    #expect(unquantized.problem?.contains("need quantization") == true)
  }
}
