/// Quantized rows stored as bit-planes: what a deployable HQ-GNN model keeps instead of
/// float embeddings.
///
/// Row r's code for dimension c is u = sum_j 2^j bit_j, and plane j of row r holds bit j of
/// every dimension in `wordsPerPlane` 64-bit words (dimension c at bit c % 64 of word c / 64;
/// bits past `dim` are zero). Row r occupies planes 0 ..< bits consecutively. With the step
/// and zero point of `RowQuantizer`, row r stands for steps[r] * (u - z), so the dot product
/// of two rows is
///   steps[a] * steps[b] * (sum_c u_c v_c - z (U_a + V_b) + dim z^2),
/// where U, V are the rows' code sums and sum_c u_c v_c = sum_{i,j} 2^(i+j) popcount(a_i AND b_j).
/// At 1 bit this is steps[a] * steps[b] * (dim - 2 popcount(a XOR b)) / 4.
public struct PackedCodes: Sendable, Equatable {
  /// Bits per dimension.
  public let bits: Int
  /// Dimensions per row.
  public let dim: Int
  /// Number of rows.
  public let rows: Int
  /// Bit-planes, row after row: (rows x bits x wordsPerPlane).
  public let words: [UInt64]
  /// Step of each row.
  public let steps: [Float]
  /// Sum of each row's codes, derived from `words`.
  public let codeSums: [Int32]

  /// 64-bit words per bit-plane.
  public var wordsPerPlane: Int { (dim + 63) / 64 }
  /// Words per row (all planes).
  public var wordsPerRow: Int { bits * wordsPerPlane }
  /// The quantizer the codes came from.
  public var quantizer: RowQuantizer { RowQuantizer(bits: bits) }

  /// Quantizes every row of `matrix` with `quantizer` and packs the codes.
  public init(quantizing matrix: Matrix, with quantizer: RowQuantizer) {
    let d = matrix.cols
    let planeWords = (d + 63) / 64
    var words = [UInt64](repeating: 0, count: matrix.rows * quantizer.bits * planeWords)
    var steps = [Float](repeating: 0, count: matrix.rows)
    var codes = [UInt8](repeating: 0, count: d)
    matrix.withUnsafePointer { m in
      for r in 0..<matrix.rows {
        steps[r] = quantizer.quantize(m + r * d, count: d, codes: &codes, dequantized: nil)
        let base = r * quantizer.bits * planeWords
        for c in 0..<d {
          for j in 0..<quantizer.bits where (codes[c] >> j) & 1 == 1 {
            words[base + j * planeWords + c / 64] |= 1 << UInt64(c % 64)
          }
        }
      }
    }
    self.init(bits: quantizer.bits, dim: d, rows: matrix.rows, words: words, steps: steps)
  }

  /// Codes from their parts (for instance read from a model file). Preconditions: the sizes
  /// agree and bits past `dim` are zero.
  public init(bits: Int, dim: Int, rows: Int, words: [UInt64], steps: [Float]) {
    precondition(RowQuantizer.supportedBits.contains(bits), "unsupported bit width \(bits)")
    let planeWords = (dim + 63) / 64
    precondition(words.count == rows * bits * planeWords && steps.count == rows, "code sizes do not match")
    self.bits = bits
    self.dim = dim
    self.rows = rows
    self.words = words
    self.steps = steps
    var sums = [Int32](repeating: 0, count: rows)
    for r in 0..<rows {
      var s = 0
      for j in 0..<bits {
        for w in 0..<planeWords { s += words[(r * bits + j) * planeWords + w].nonzeroBitCount << j }
      }
      sums[r] = Int32(s)
    }
    codeSums = sums
  }

  /// Bytes per row of `compactBytes`: `bits` x `dim` bits, rounded up to whole bytes.
  public static func compactRowBytes(bits: Int, dim: Int) -> Int { (bits * dim + 7) / 8 }

  /// The codes without padding, the form a model file stores: each row's bit-planes one
  /// after the other, `dim` bits each (bit t of a row is bit t % 8 of its byte t / 8), the row
  /// rounded up to whole bytes. Narrow rows need it: at 8 dimensions and 2 bits a row is 2
  /// bytes here, against 16 in 64-bit planes.
  public var compactBytes: [UInt8] {
    let rowBytes = Self.compactRowBytes(bits: bits, dim: dim)
    var out = [UInt8](repeating: 0, count: rows * rowBytes)
    for r in 0..<rows {
      for j in 0..<bits {
        let plane = (r * bits + j) * wordsPerPlane
        for c in 0..<dim where (words[plane + c / 64] >> UInt64(c % 64)) & 1 == 1 {
          let t = j * dim + c
          out[r * rowBytes + t / 8] |= 1 << UInt8(t % 8)
        }
      }
    }
    return out
  }

  /// Codes from their `compactBytes` and steps. Preconditions: the sizes agree.
  public init(bits: Int, dim: Int, rows: Int, compactBytes bytes: [UInt8], steps: [Float]) {
    let rowBytes = Self.compactRowBytes(bits: bits, dim: dim)
    precondition(bytes.count == rows * rowBytes, "code sizes do not match")
    let planeWords = (dim + 63) / 64
    var words = [UInt64](repeating: 0, count: rows * bits * planeWords)
    for r in 0..<rows {
      for j in 0..<bits {
        let plane = (r * bits + j) * planeWords
        for c in 0..<dim {
          let t = j * dim + c
          if (bytes[r * rowBytes + t / 8] >> UInt8(t % 8)) & 1 == 1 { words[plane + c / 64] |= 1 << UInt64(c % 64) }
        }
      }
    }
    self.init(bits: bits, dim: dim, rows: rows, words: words, steps: steps)
  }

  /// The same codes with other steps (one per row).
  public func replacingSteps(_ steps: [Float]) -> PackedCodes {
    PackedCodes(bits: bits, dim: dim, rows: rows, words: words, steps: steps)
  }

  /// Rows `range` as codes of their own.
  public func rows(_ range: Range<Int>) -> PackedCodes {
    let w = wordsPerRow
    return PackedCodes(
      bits: bits, dim: dim, rows: range.count, words: Array(words[(range.lowerBound * w)..<(range.upperBound * w)]),
      steps: Array(steps[range]))
  }

  /// Code of dimension `c` of row `r`.
  public func code(row r: Int, dim c: Int) -> Int {
    var u = 0
    for j in 0..<bits where (words[(r * bits + j) * wordsPerPlane + c / 64] >> UInt64(c % 64)) & 1 == 1 { u |= 1 << j }
    return u
  }

  /// Euclidean norm of each dequantized row, steps[r] * |u - z|, where |u - z|^2 = sum_c u_c^2
  /// - 2 z U + dim z^2 comes from the row's code product with itself (every term is a multiple
  /// of 1/4, so the double sum is exact). O(rows x bits^2 x wordsPerPlane).
  public func norms() -> [Float] {
    let z = Double(quantizer.zeroPoint)
    return (0..<rows).map { r in
      let squares = Double(codeProduct(row: r, with: self, row: r))
      let total = squares - 2 * z * Double(codeSums[r]) + Double(dim) * z * z
      return Float(Double(steps[r]) * total.squareRoot())
    }
  }

  /// The float rows the codes stand for: steps[r] * (u - z).
  public func dequantized() -> Matrix { dequantizedRows(Array(0..<Int32(rows))) }

  /// The float rows `rows` stand for, in the order given.
  public func dequantizedRows(_ rows: [Int32]) -> Matrix {
    var m = Matrix(rows: rows.count, cols: dim)
    let z = quantizer.zeroPoint
    for (t, r) in rows.enumerated() {
      for c in 0..<dim { m[t, c] = steps[Int(r)] * (Float(code(row: Int(r), dim: c)) - z) }
    }
    return m
  }

  /// The codes of one query folded in from a history: the mean of the history's dequantized
  /// item rows (zeros for an empty history), quantized with `quantizer`. How a code model
  /// scores a query without a known user.
  static func foldingIn(_ history: Matrix, with quantizer: RowQuantizer) -> PackedCodes {
    var mean = Matrix(rows: 1, cols: history.cols)
    for r in 0..<history.rows {
      for c in 0..<history.cols { mean[0, c] += history[r, c] }
    }
    if history.rows > 0 {
      for c in 0..<history.cols { mean[0, c] /= Float(history.rows) }
    }
    return PackedCodes(quantizing: mean, with: quantizer)
  }

  /// The integer part sum_c u_c v_c of the dot product of row `a` with row `b` of `other`,
  /// by bit-plane AND and popcount. Precondition: same bits and dim.
  public func codeProduct(row a: Int, with other: PackedCodes, row b: Int) -> Int {
    precondition(bits == other.bits && dim == other.dim, "codes differ in shape")
    let pw = wordsPerPlane
    var total = 0
    for i in 0..<bits {
      for j in 0..<bits {
        var count = 0
        for w in 0..<pw {
          count += (words[(a * bits + i) * pw + w] & other.words[(b * bits + j) * pw + w]).nonzeroBitCount
        }
        total += count << (i + j)
      }
    }
    return total
  }

  /// The dot product of the dequantized rows, from the codes (see the type's formula).
  public func dot(row a: Int, with other: PackedCodes, row b: Int) -> Float {
    let z = Double(quantizer.zeroPoint)
    let integer = Double(codeProduct(row: a, with: other, row: b))
    let centered = integer - z * Double(Int(codeSums[a]) + Int(other.codeSums[b])) + Double(dim) * z * z
    return Float(Double(steps[a]) * Double(other.steps[b]) * centered)
  }
}
