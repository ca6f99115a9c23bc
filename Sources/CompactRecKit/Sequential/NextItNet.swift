/// NextItNet (Yuan et al., WSDM 2019): a stack of residual blocks, each two causal dilated
/// convolutions (kernel 3, dilations r then 2r), each followed by LayerNorm and ReLU, the
/// block's result added to its input. Padding positions are held at zero after every
/// convolution stage, so they read like the zeros before a sequence's start: the output at an
/// item does not depend on how much padding precedes it.
public final class NextItNet: SequenceEncoder {
  /// One residual block: out = x + relu(ln2(conv2(relu(ln1(conv1(x)))))).
  final class Block {
    let conv1: CausalConv1d
    let norm1: LayerNorm
    let relu1 = ReLU()
    let conv2: CausalConv1d
    let norm2: LayerNorm
    let relu2 = ReLU()

    init(conv1: CausalConv1d, conv2: CausalConv1d, norm1: LayerNorm, norm2: LayerNorm) {
      self.conv1 = conv1
      self.conv2 = conv2
      self.norm1 = norm1
      self.norm2 = norm2
    }

    func forward(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
      var a = relu1.forward(norm1.forward(conv1.forward(x, length: length)))
      zeroPadding(&a, valid)
      var out = relu2.forward(norm2.forward(conv2.forward(a, length: length)))
      zeroPadding(&out, valid)
      out.add(x)
      return out
    }

    /// out = x + mask f(x), so dx = dout + f'(mask dout) through the chain in reverse.
    func infer(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
      var a = relu1.infer(norm1.infer(conv1.infer(x, length: length)))
      zeroPadding(&a, valid)
      var out = relu2.infer(norm2.infer(conv2.infer(a, length: length)))
      zeroPadding(&out, valid)
      out.add(x)
      return out
    }

    func backward(_ dout: Matrix, valid: [Bool]) -> Matrix {
      var d = dout
      zeroPadding(&d, valid)
      var da = conv2.backward(norm2.backward(relu2.backward(d)))
      zeroPadding(&da, valid)
      var dx = conv1.backward(norm1.backward(relu1.backward(da)))
      dx.add(dout)
      return dx
    }
  }

  let blocks: [Block]
  public let width: Int
  /// The dilation r of each block.
  public let dilations: [Int]
  private var valid: [Bool] = []

  /// The default dilations: 1, 2, 4, 8 twice.
  public static let defaultDilations = [1, 2, 4, 8, 1, 2, 4, 8]

  /// How the blocks' convolutions share parameters.
  public let sharing: LayerSharing

  public init(
    width: Int, dilations: [Int] = NextItNet.defaultDilations, sharing: LayerSharing = .none,
    generator: inout SeededGenerator
  ) {
    precondition(!dilations.isEmpty && dilations.allSatisfy { $0 >= 1 }, "dilations must be positive")
    self.width = width
    self.dilations = dilations
    self.sharing = sharing
    // Convolution parameters are created in block order at their first use, so a shared one
    // is drawn once and the unshared model draws exactly as before.
    var made: [Int: (weight: Parameter, bias: Parameter)] = [:]
    func convolution(block i: Int, layer j: Int, dilation: Int) -> CausalConv1d {
      let (si, sj) = sharing.source(block: i, layer: j)
      let key = si * 2 + sj
      if made[key] == nil {
        let fresh = CausalConv1d(
          name: "block\(si).conv\(sj + 1)", channels: width, outputs: width, dilation: dilation, generator: &generator)
        made[key] = (fresh.weight, fresh.bias)
      }
      return CausalConv1d(weight: made[key]!.weight, bias: made[key]!.bias, kernel: 3, dilation: dilation)
    }
    blocks = dilations.enumerated().map { (i, r) in
      Block(
        conv1: convolution(block: i, layer: 0, dilation: r), conv2: convolution(block: i, layer: 1, dilation: 2 * r),
        norm1: LayerNorm(name: "block\(i).norm1", width: width), norm2: LayerNorm(name: "block\(i).norm2", width: width)
      )
    }
  }

  public var parameters: [Parameter] {
    blocks.flatMap { b in
      [
        b.conv1.weight, b.conv1.bias, b.norm1.gain, b.norm1.shift, b.conv2.weight, b.conv2.bias, b.norm2.gain,
        b.norm2.shift,
      ]
    }
  }

  public var dropouts: [Dropout] { [] }

  public func forward(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
    self.valid = valid
    var h = x
    for b in blocks { h = b.forward(h, length: length, valid: valid) }
    return h
  }

  public func infer(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix {
    var h = x
    for b in blocks { h = b.infer(h, length: length, valid: valid) }
    return h
  }

  public func backward(_ dout: Matrix) -> Matrix {
    var d = dout
    for b in blocks.reversed() { d = b.backward(d, valid: valid) }
    return d
  }
}
