/// A lookup table: row `ids[r]` of the table for each position r.
///
/// Shapes: table (count, width), ids (n), out (n, width). The padding id reads as a zero row
/// and never receives gradient, so left-padded sequences cost nothing in the update.
public final class Embedding {
  /// The table, (count, width).
  public let table: Parameter
  /// The id that stands for "no item" (left padding), or nil.
  public let paddingID: Int32?
  private var ids: [Int32] = []

  /// A layer over an existing (possibly shared) table.
  public init(table: Parameter, paddingID: Int32?) {
    self.table = table
    self.paddingID = paddingID
  }

  /// A new table drawn from N(0, std^2) (the padding row, if inside the table, is zero; a
  /// padding id of `count` needs no row).
  public convenience init(
    name: String, count: Int, width: Int, paddingID: Int32?, std: Float = 0.02, generator: inout SeededGenerator
  ) {
    var value = Matrix(rows: count, cols: width, gaussianStd: std, generator: &generator)
    if let p = paddingID, Int(p) < count { for c in 0..<width { value[Int(p), c] = 0 } }
    self.init(table: Parameter(name: name, value: value), paddingID: paddingID)
  }

  public var count: Int { table.value.rows }
  public var width: Int { table.value.cols }

  /// out[r] = table[ids[r]], zero for the padding id. Precondition: every id is in range.
  public func forward(_ ids: [Int32]) -> Matrix {
    self.ids = ids
    return infer(ids)
  }

  /// The output of `forward` without keeping anything for `backward`: inference, which many
  /// threads may run at once.
  public func infer(_ ids: [Int32]) -> Matrix {
    let d = width
    var out = Matrix(rows: ids.count, cols: d)
    table.value.withUnsafePointer { t in
      out.withUnsafeMutablePointer { o in
        for (r, id) in ids.enumerated() where id != paddingID {
          precondition(id >= 0 && Int(id) < count, "id \(id) outside the table of \(count)")
          (o + r * d).update(from: t + Int(id) * d, count: d)
        }
      }
    }
    return out
  }

  /// Differentiates `forward`: grad[ids[r]] += dout[r], except for the padding id.
  public func backward(_ dout: Matrix) {
    precondition(dout.rows == ids.count && dout.cols == width, "dout shape differs from the last output")
    let d = width
    dout.withUnsafePointer { g in
      table.grad.withUnsafeMutablePointer { t in
        for (r, id) in ids.enumerated() where id != paddingID {
          let row = t + Int(id) * d
          for c in 0..<d { row[c] += g[r * d + c] }
        }
      }
    }
  }
}
