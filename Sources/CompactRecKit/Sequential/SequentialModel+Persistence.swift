extension SequentialModel: PersistableModel {
  public static let kind = "sequential"
  /// The tensor holding the frequency order of block-wise layers: model state needed to
  /// serve, not a trained parameter.
  public static let blockOrderTensor = "blocks/order"
  public static var stateTensorNames: Set<String> { [blockOrderTensor] }

  /// A quantized table's code row (`NAME/codes`) stands for the table's width in weights:
  /// its frequency block's width for a block-wise table (`frequencyBlock(ofTensor:)`; the
  /// head's is the model width), else the model width.
  public static func parameters(inTensor name: String, shape: [Int], hyperParameters h: [String: JSONValue]) -> Int {
    if stateTensorNames.contains(name) { return 0 }
    guard name.hasSuffix("/codes"), let dim = h["dim"]?.intValue else { return shape.reduce(1, *) }
    let width =
      frequencyBlock(ofTensor: name).map {
        FrequencyBlocks.width(block: $0, dim: dim, factor: h["block_factor"]?.intValue ?? 4)
      } ?? dim
    return (shape.first ?? 0) * width
  }

  /// The frequency block a block-wise layer's tensor belongs to: b for the tensors of block
  /// b's input table, projections and output softmax (names with `.block<b>` or
  /// `.projection<b>`), 0 for the adaptive softmax's head; nil for every other tensor.
  public static func frequencyBlock(ofTensor name: String) -> Int? {
    if name.contains(".head.") { return 0 }
    for marker in [".block", ".projection"] {
      guard let range = name.range(of: marker) else { continue }
      return Int(name[range.upperBound...].prefix { $0.isNumber })
    }
    return nil
  }

  /// The configuration (`Codable`: the architecture and shape settings that rebuild the
  /// network, and the training settings for reference) and the frequency blocks' ends.
  public var hyperParameters: [String: JSONValue] {
    // Cannot fail: plain values, and non-finite floats are written as strings.
    var out = try! JSONValue(encoding: configuration).objectValue ?? [:]
    out["block_ends"] = .array((blocks?.ends ?? []).map { .number(Double($0)) })
    return out
  }

  /// Tensor name of a parameter: input/ for the item input layer, output/ for the output
  /// layer, middle/ for the encoder (the components `inspect` sums).
  func tensorName(_ p: Parameter) -> String {
    if input.parameters.contains(where: { $0 === p }) { return "input/" + p.name }
    if output.parameters.contains(where: { $0 === p }) { return "output/" + p.name }
    return "middle/" + p.name
  }

  /// The parameters (a quantized item table as its codes and steps alone: `NAME/codes`, the
  /// rows' `PackedCodes.compactBytes`, and `NAME/steps`), and the frequency order of
  /// block-wise layers (`blockOrderTensor`).
  public func tensors() -> [Tensor] {
    var coded: [ObjectIdentifier: PackedCodes] = [:]
    if let itemCodes { for (table, c) in zip(itemTables, itemCodes) { coded[ObjectIdentifier(table)] = c } }
    return parameters.flatMap { p -> [Tensor] in
      guard let c = coded[ObjectIdentifier(p)] else { return [Tensor(name: tensorName(p), matrix: p.value)] }
      return [
        Tensor(
          name: tensorName(p) + "/codes", shape: [c.rows, PackedCodes.compactRowBytes(bits: c.bits, dim: c.dim)],
          uint8: c.compactBytes),
        Tensor(name: tensorName(p) + "/steps", shape: [c.rows], floats: c.steps),
      ]
    } + (blocks.map { [Tensor(name: Self.blockOrderTensor, shape: [items], int32: $0.order)] } ?? [])
  }

  public convenience init(file: ModelFile) throws {
    try file.requireKind(Self.kind)
    let h = file.hyperParameters
    func invalid(_ what: String) -> ModelFileError {
      ModelFileError(path: file.path, reason: .invalidHeader(what))
    }
    guard let name = h["architecture"]?.stringValue, let architecture = SequentialArchitecture(rawValue: name) else {
      throw invalid("no known sequential architecture")
    }
    var c = SequentialConfiguration(architecture: architecture)
    guard let dim = h["dim"]?.intValue, dim > 0, let maxLength = h["max_length"]?.intValue, maxLength > 0 else {
      throw invalid("dim and max_length must be positive integers")
    }
    c.dim = dim
    c.maxLength = maxLength
    if let d = h["dilations"]?.arrayValue?.compactMap(\.intValue), !d.isEmpty, d.allSatisfy({ $0 > 0 }) {
      c.dilations = d
    } else if architecture == .nextitnet {
      throw invalid("dilations must be positive integers")
    }
    c.blocks = h["blocks"]?.intValue ?? c.blocks
    c.heads = h["heads"]?.intValue ?? c.heads
    c.gruLayers = h["gru_layers"]?.intValue ?? c.gruLayers
    guard c.blocks > 0, c.heads > 0, dim % c.heads == 0, c.gruLayers > 0 else {
      throw invalid("blocks, heads and gru_layers must be positive, dim a multiple of heads")
    }
    let items = file.itemIDs.count
    guard let blockwise = BlockwiseLayers(rawValue: h["blockwise"]?.stringValue ?? "none"),
      let sharing = LayerSharing(rawValue: h["sharing"]?.stringValue ?? "none")
    else { throw invalid("unknown blockwise or sharing setting") }
    c.blockwise = blockwise
    c.sharing = sharing
    c.blockFactor = h["block_factor"]?.intValue ?? c.blockFactor
    c.tiedOutput = h["tied_output"]?.boolValue ?? false
    c.loss = SequentialLoss(rawValue: h["loss"]?.stringValue ?? "softmax") ?? .softmax
    if let recorded = h["quantization"], recorded != .null {
      guard let q = try? recorded.decoded(as: QuantizationSettings.self), RowQuantizer.supportedBits.contains(q.bits)
      else { throw invalid("quantization must name 1, 2, 3, 4 or 8 bits and an estimator") }
      c.quantization = q
    }
    if let problem = c.problem ?? c.limitProblem { throw invalid(problem) }
    // Every architecture has a dim x dim matrix at least; a header claiming more than the
    // file holds is refused before the model is allocated.
    let fileFloatBytes = file.tensors.filter { $0.type == .float32 }.reduce(0) { $0 + $1.bytes.count }
    guard 4 * dim * dim <= fileFloatBytes, 4 * c.estimatedParameters(items: items) <= MachineMemory.bytes else {
      throw invalid("dim \(dim) describes a larger model than the file holds or this machine's memory")
    }
    var blocks: FrequencyBlocks?
    if blockwise != .none {
      let order = try file.int32s(Self.blockOrderTensor, shape: [items])
      let ends = h["block_ends"]?.arrayValue?.compactMap(\.intValue) ?? []
      var isPermutation = [Bool](repeating: false, count: items)
      for i in order where i >= 0 && Int(i) < items { isPermutation[Int(i)] = true }
      guard !ends.isEmpty, ends.last == items, ends.first! > 0, zip(ends, ends.dropFirst()).allSatisfy({ $0 < $1 }),
        !isPermutation.contains(false)
      else { throw invalid("block_ends and blocks/order do not describe blocks of the \(items) items") }
      blocks = FrequencyBlocks(order: order, ends: ends)
      c.blockCutoffs = Array(ends.dropLast())
    }
    if let recorded = h["block_bits"]?.arrayValue, c.quantization != nil {
      let widths = recorded.compactMap(\.intValue)
      guard widths.count == recorded.count, widths.count == blocks?.blockCount,
        widths.allSatisfy(RowQuantizer.supportedBits.contains)
      else { throw invalid("block_bits must give 1, 2, 3, 4 or 8 bits for each frequency block") }
      c.blockBits = widths
    }
    let model = c.makeModel(items: items, blocks: blocks)
    let tables = Set((c.quantization == nil ? [] : model.itemTables).map(ObjectIdentifier.init))
    for p in model.parameters where !tables.contains(ObjectIdentifier(p)) {
      p.value = try file.matrix(model.tensorName(p), rows: p.value.rows, cols: p.value.cols)
    }
    if c.quantization != nil {
      model.setItemCodes(
        try zip(model.itemTables, model.itemTableBits).map { table, bits in
          let (rows, dim) = (table.value.rows, table.value.cols)
          let name = model.tensorName(table)
          let bytes = try file.uint8s(
            name + "/codes", shape: [rows, PackedCodes.compactRowBytes(bits: bits, dim: dim)])
          let steps = try file.floats(name + "/steps", shape: [rows])
          guard steps.allSatisfy(\.isFinite) else { throw invalid("\(name)/steps holds a non-finite step") }
          return PackedCodes(bits: bits, dim: dim, rows: rows, compactBytes: bytes, steps: steps)
        })
    }
    self.init(
      items: model.items, maxLength: model.maxLength, input: model.input, encoder: model.encoder,
      output: model.output, configuration: c, blocks: blocks)
    itemCodes = model.itemCodes
  }
}
