/// GRU4Rec (Hidasi et al., ICLR 2016) as a sequence encoder: dropout on the item embeddings,
/// then one or more GRU layers whose state after each position is its hidden output.
public final class GRU4Rec: SequenceEncoder {
  let layers: [GRU]
  let dropout: Dropout
  public let width: Int

  public init(width: Int, layers: Int = 1, dropout: Float = 0.1, seed: UInt64, generator: inout SeededGenerator) {
    precondition(layers >= 1, "at least one GRU layer")
    self.width = width
    self.layers = (0..<layers).map { GRU(name: "gru\($0)", inputs: width, hidden: width, generator: &generator) }
    self.dropout = Dropout(rate: dropout, seed: seed)
  }

  public var parameters: [Parameter] { layers.flatMap(\.parameters) }

  public var dropouts: [Dropout] { [dropout] }

  public func forward(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
    var h = dropout.forward(x)
    for layer in layers { h = layer.forward(h, length: length, valid: valid) }
    return h
  }

  public func infer(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
    var h = x
    for layer in layers { h = layer.infer(h, length: length, valid: valid) }
    return h
  }

  public func backward(_ dout: Matrix) -> Matrix {
    var d = dout
    for layer in layers.reversed() { d = layer.backward(d) }
    return dropout.backward(d)
  }
}
