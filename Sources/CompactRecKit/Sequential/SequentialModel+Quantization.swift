/// Quantized item tables (issue 25): HQ-GNN's row quantizer on CpRec's tables. With
/// `SequentialConfiguration.quantization` set, every training step runs forward and backward
/// on the item tables' quantized rows (the input embedding's, each block's under CpRec, and the
/// output layer's weights) and carries the gradient back to their float values with the
/// configured estimator; the rest of the network stays float. After training the tables are
/// fixed to their codes (`itemCodes`), which is all a model file stores of them.
extension SequentialModel {
  /// The item tables of the input and output layers, each once (a tied table is both).
  public var itemTables: [Parameter] {
    var seen = Set<ObjectIdentifier>()
    return (input.itemTables + output.itemTables).filter { seen.insert(ObjectIdentifier($0)).inserted }
  }

  /// The bits of each of `itemTables`: under CpRec, a block's tables take the block's width
  /// (`SequentialConfiguration.blockBits`); full tables, and every table without per-block
  /// widths, `quantization.bits`. Empty without quantization.
  public var itemTableBits: [Int] {
    guard let q = configuration.quantization else { return [] }
    var block: [ObjectIdentifier: Int] = [:]
    if let blockwise = input as? BlockwiseEmbedding {
      for (b, table) in blockwise.tables.enumerated() { block[ObjectIdentifier(table)] = b }
    }
    if let adaptive = output as? AdaptiveSoftmax {
      for (b, table) in adaptive.itemTables.enumerated() { block[ObjectIdentifier(table)] = b }
    }
    return itemTables.map { table in
      block[ObjectIdentifier(table)].flatMap { configuration.blockBits?[$0] } ?? q.bits
    }
  }

  /// Replaces every item table's rows by their quantized values (`RowQuantizer`, at the
  /// table's `itemTableBits`) and returns the float values it replaced, for
  /// `restoreItemTables`.
  func quantizeItemTables() -> [Matrix] {
    zip(itemTables, itemTableBits).map { table, bits in
      let quantizer = RowQuantizer(bits: bits)
      let latent = table.value
      let d = latent.cols
      latent.withUnsafePointer { x in
        table.value.withUnsafeMutablePointer { y in
          Parallel.forEach(latent.rows, grain: 256) { r in
            quantizer.quantize(x + r * d, count: d, codes: nil, dequantized: y + r * d)
          }
        }
      }
      return latent
    }
  }

  /// Puts back the float values `quantizeItemTables` replaced.
  func restoreItemTables(_ latent: [Matrix]) {
    for (table, value) in zip(itemTables, latent) { table.value = value }
  }

  /// The backward half of a quantized step: with GSTE, scales each table's gradient (taken at
  /// its quantized rows, which the tables still hold) by where its float values sit between
  /// the levels; with STE, leaves it. Then puts the float values back.
  func finishQuantizedStep(latent: [Matrix], estimator: GradientEstimator) {
    if case .gsteFixed(let delta) = estimator {
      for (table, x) in zip(itemTables, latent) {
        let count = x.storage.count
        x.withUnsafePointer { x in
          table.value.withUnsafePointer { xq in
            table.grad.withUnsafeMutablePointer { g in
              GradientEstimator.applyGSTE(to: g, x: x, quantized: xq, count: count, delta: delta)
            }
          }
        }
      }
    }
    restoreItemTables(latent)
  }

  /// Fixes the item tables to their codes (at `itemTableBits`) for good: keeps the codes
  /// (`itemCodes`, what a model file stores) and sets the tables to the values they stand for.
  func freezeItemCodes() {
    setItemCodes(zip(itemTables, itemTableBits).map { PackedCodes(quantizing: $0.value, with: RowQuantizer(bits: $1)) })
  }

  /// Sets the item tables to the values of `codes` (one per table, same shapes) and keeps them.
  func setItemCodes(_ codes: [PackedCodes]) {
    precondition(codes.count == itemTables.count, "one set of codes per item table")
    for (table, c) in zip(itemTables, codes) {
      precondition(c.rows == table.value.rows && c.dim == table.value.cols, "codes of another shape")
      table.value = c.dequantized()
    }
    itemCodes = codes
  }
}
