/// CpRec's block-wise adaptive input embedding: the items of frequency block b have vectors
/// of width d / f^b (`FrequencyBlocks.width`), and every tail block a projection (no bias)
/// up to the model width d; the head block's vectors are d wide and used as they are. Rare
/// items so cost a fraction of the parameters of a full table.
///
/// Shapes: table b (size_b, width_b), projection b (width_b, d), ids (n) -> (n, d). The
/// padding id (= item count) reads as a zero row and receives no gradient.
public final class BlockwiseEmbedding: ItemInput {
  public let blocks: FrequencyBlocks
  /// One table per block, (size_b, width_b).
  public let tables: [Parameter]
  /// The up-projection of each tail block (index b - 1 for block b), width_b -> d.
  public let projections: [Linear]
  public let width: Int
  public var paddingID: Int32 { Int32(blocks.itemCount) }
  /// Positions of the last forward per block, and their rows in the block's table.
  private var positions: [[Int32]] = []
  private var rows: [[Int32]] = []

  /// New tables drawn from N(0, std^2) and projections from N(0, 1 / width_b).
  public init(
    name: String, blocks: FrequencyBlocks, width d: Int, factor: Int, std: Float = 0.02,
    generator: inout SeededGenerator
  ) {
    self.blocks = blocks
    width = d
    tables = (0..<blocks.blockCount).map { b in
      Parameter(
        name: "\(name).block\(b)",
        value: Matrix(
          rows: blocks.size(b), cols: FrequencyBlocks.width(block: b, dim: d, factor: factor), gaussianStd: std,
          generator: &generator))
    }
    projections = (1..<max(1, blocks.blockCount)).map { b in
      Linear(
        name: "\(name).projection\(b)", inputs: FrequencyBlocks.width(block: b, dim: d, factor: factor), outputs: d,
        bias: false, generator: &generator)
    }
  }

  public var parameters: [Parameter] { tables + projections.map(\.weight) }
  public var itemTables: [Parameter] { tables }

  /// out[r] = table_b[row] (projected up for a tail block b), zero for the padding id.
  public func forward(_ ids: [Int32]) -> Matrix {
    (positions, rows) = located(ids)
    return embed(positions, rows, count: ids.count, record: true)
  }

  /// The output of `forward` without keeping anything for `backward`: inference, which many
  /// threads may run at once.
  public func infer(_ ids: [Int32]) -> Matrix {
    let (positions, rows) = located(ids)
    return embed(positions, rows, count: ids.count, record: false)
  }

  /// Per block, the positions in `ids` of its items and their rows in its table.
  private func located(_ ids: [Int32]) -> (positions: [[Int32]], rows: [[Int32]]) {
    var positions = [[Int32]](repeating: [], count: blocks.blockCount)
    var rows = [[Int32]](repeating: [], count: blocks.blockCount)
    for (r, id) in ids.enumerated() where id != paddingID {
      precondition(id >= 0 && id < paddingID, "id \(id) outside the \(blocks.itemCount) items")
      let (b, row) = blocks.locate(id)
      positions[b].append(Int32(r))
      rows[b].append(Int32(row))
    }
    return (positions, rows)
  }

  /// The rows gathered per block, tail rows projected (through `forward` when recording for
  /// `backward`), scattered to their positions among `count` rows (padding rows zero).
  private func embed(_ positions: [[Int32]], _ rows: [[Int32]], count: Int, record: Bool) -> Matrix {
    var out = Matrix(rows: count, cols: width)
    for b in 0..<blocks.blockCount where !positions[b].isEmpty {
      let x = tables[b].value.gathering(rows[b])
      let projected = b == 0 ? x : record ? projections[b - 1].forward(x) : projections[b - 1].infer(x)
      out.scatter(projected, to: positions[b])
    }
    return out
  }

  /// Differentiates `forward`: a tail block's rows go back through its projection, then every
  /// row's gradient is added to its table row.
  public func backward(_ dout: Matrix) {
    precondition(dout.cols == width, "dout width \(dout.cols), expected \(width)")
    for b in 0..<blocks.blockCount where !positions[b].isEmpty {
      let dy = dout.gathering(positions[b])
      let dx = b == 0 ? dy : projections[b - 1].backward(dy)
      tables[b].grad.scatterAdd(dx, to: rows[b])
    }
  }
}
