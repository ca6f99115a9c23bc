/// SASRec (Kang & McAuley, ICDM 2018) as a sequence encoder: item embeddings scaled by
/// sqrt(width) plus learned position embeddings, then pre-LayerNorm transformer blocks of
/// causal self-attention and a two-layer GELU feed-forward network, each with dropout and a
/// residual connection, padding positions zeroed after every block, and a final LayerNorm.
/// Position embeddings count back from the end of the window, so trimming leading padding
/// does not change any output.
public final class SASRec: SequenceEncoder {
  final class Block {
    let norm1: LayerNorm
    let attention: CausalSelfAttention
    let dropAttention: Dropout
    let norm2: LayerNorm
    let inner: Linear
    let activation = GELU()
    let outer: Linear
    let dropFeedForward: Dropout

    /// Block i over its six (possibly shared) projections: attention query, key, value and
    /// output, then the feed-forward network's inner and outer layer.
    init(index i: Int, width: Int, heads: Int, dropout: Float, seed: UInt64, projections p: [Linear]) {
      norm1 = LayerNorm(name: "block\(i).norm1", width: width)
      attention = CausalSelfAttention(query: p[0], key: p[1], value: p[2], output: p[3], heads: heads)
      dropAttention = Dropout(rate: dropout, seed: seed &+ UInt64(2 * i + 1))
      norm2 = LayerNorm(name: "block\(i).norm2", width: width)
      inner = p[4]
      outer = p[5]
      dropFeedForward = Dropout(rate: dropout, seed: seed &+ UInt64(2 * i + 2))
    }

    static let projectionNames = [
      "attention.query", "attention.key", "attention.value", "attention.output", "inner", "outer",
    ]

    var parameters: [Parameter] {
      [norm1.gain, norm1.shift] + attention.parameters + [norm2.gain, norm2.shift]
        + [inner.weight, inner.bias!, outer.weight, outer.bias!]
    }

    /// h1 = x + drop(attention(ln1(x))); out = mask(h1 + drop(ffn(ln2(h1)))).
    func forward(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
      var h = dropAttention.forward(attention.forward(norm1.forward(x), length: length, valid: valid))
      h.add(x)
      var out = dropFeedForward.forward(outer.forward(activation.forward(inner.forward(norm2.forward(h)))))
      out.add(h)
      zeroPadding(&out, valid)
      return out
    }

    func infer(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
      var h = attention.infer(norm1.infer(x), length: length, valid: valid)
      h.add(x)
      var out = outer.infer(activation.infer(inner.infer(norm2.infer(h))))
      out.add(h)
      zeroPadding(&out, valid)
      return out
    }

    func backward(_ dout: Matrix, valid: [Bool]) -> Matrix {
      var d = dout
      zeroPadding(&d, valid)
      var dh = norm2.backward(inner.backward(activation.backward(outer.backward(dropFeedForward.backward(d)))))
      dh.add(d)
      var dx = norm1.backward(attention.backward(dropAttention.backward(dh)))
      dx.add(dh)
      return dx
    }
  }

  let positions: Embedding
  let dropInput: Dropout
  let blocks: [Block]
  let finalNorm: LayerNorm
  public let width: Int
  private var valid: [Bool] = []

  /// How the blocks' projections share parameters (`LayerSharing`; a block's six
  /// projections are its weight layers).
  public let sharing: LayerSharing

  public init(
    width: Int, maxLength: Int, blocks: Int = 2, heads: Int = 1, dropout: Float = 0.2, sharing: LayerSharing = .none,
    seed: UInt64, generator: inout SeededGenerator
  ) {
    self.width = width
    self.sharing = sharing
    positions = Embedding(name: "positions", count: maxLength, width: width, paddingID: nil, generator: &generator)
    dropInput = Dropout(rate: dropout, seed: seed)
    // Projection parameters are created in block order at their first use, so a shared one
    // is drawn once; every use site gets its own `Linear` (it keeps its input).
    var made: [Int: Linear] = [:]
    self.blocks = (0..<blocks).map { i in
      let projections = Block.projectionNames.indices.map { j -> Linear in
        let (si, sj) = sharing.source(block: i, layer: j)
        let key = si * Block.projectionNames.count + sj
        if made[key] == nil {
          made[key] = Linear(
            name: "block\(si).\(Block.projectionNames[sj])", inputs: width, outputs: width, generator: &generator)
        }
        return Linear(weight: made[key]!.weight, bias: made[key]!.bias)
      }
      return Block(index: i, width: width, heads: heads, dropout: dropout, seed: seed, projections: projections)
    }
    finalNorm = LayerNorm(name: "final_norm", width: width)
  }

  public var parameters: [Parameter] {
    [positions.table] + blocks.flatMap(\.parameters) + [finalNorm.gain, finalNorm.shift]
  }

  public var dropouts: [Dropout] { [dropInput] + blocks.flatMap { [$0.dropAttention, $0.dropFeedForward] } }

  public func forward(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
    self.valid = valid
    var h = dropInput.forward(embedded(x, length: length, positions: positions.forward))
    zeroPadding(&h, valid)
    for b in blocks { h = b.forward(h, length: length, valid: valid) }
    return finalNorm.forward(h)
  }

  public func infer(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
    var h = embedded(x, length: length, positions: positions.infer)
    zeroPadding(&h, valid)
    for b in blocks { h = b.infer(h, length: length, valid: valid) }
    return finalNorm.infer(h)
  }

  /// The scaled item embeddings plus their position embeddings (looked up by `lookup`).
  /// Position ids count back from the last learned position, so an item's position depends
  /// only on its distance from the end, however long the (trimmed) window is.
  private func embedded(_ x: Matrix, length: Int, positions lookup: ([Int32]) -> Matrix) -> Matrix {
    precondition(length <= positions.count, "sequences longer than the \(positions.count) learned positions")
    let offset = positions.count - length
    let p = lookup((0..<x.rows).map { Int32(offset + $0 % length) })
    let scale = Float(width).squareRoot()
    var h = x
    for i in 0..<h.storage.count { h.storage[i] = h.storage[i] * scale + p.storage[i] }
    return h
  }

  public func backward(_ dout: Matrix) -> Matrix {
    var d = finalNorm.backward(dout)
    for b in blocks.reversed() { d = b.backward(d, valid: valid) }
    zeroPadding(&d, valid)
    d = dropInput.backward(d)
    positions.backward(d)
    let scale = Float(width).squareRoot()
    for i in 0..<d.storage.count { d.storage[i] *= scale }
    return d
  }
}
