extension SequentialModel: PersistableModel {
  public static let kind = "sequential"

  /// The architecture and shape settings that rebuild the network (dropout is recorded for
  /// reference; inference does not use it).
  public var hyperParameters: [String: JSONValue] {
    let c = configuration
    return [
      "architecture": .string(c.architecture.rawValue), "dim": .number(Double(c.dim)),
      "max_length": .number(Double(c.maxLength)), "dilations": .array(c.dilations.map { .number(Double($0)) }),
      "blocks": .number(Double(c.blocks)), "heads": .number(Double(c.heads)),
      "gru_layers": .number(Double(c.gruLayers)), "dropout": .number(Double(c.dropout)),
    ]
  }

  /// Tensor name of a parameter: input/ for the item embedding, output/ for the softmax layer,
  /// middle/ for the encoder (the components `inspect` sums).
  func tensorName(_ p: Parameter) -> String {
    if p === embedding.table { return "input/" + p.name }
    if p === output.weight || p === output.bias { return "output/" + p.name }
    return "middle/" + p.name
  }

  public func tensors() -> [Tensor] { parameters.map { Tensor(name: tensorName($0), matrix: $0.value) } }

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
    let model = c.makeModel(items: file.itemIDs.count)
    for p in model.parameters {
      p.value = try file.matrix(model.tensorName(p), rows: p.value.rows, cols: p.value.cols)
    }
    self.init(
      items: model.items, maxLength: model.maxLength, embedding: model.embedding, encoder: model.encoder,
      output: model.output, configuration: c)
  }
}
