import Foundation

/// What a sequential model or its training needs in memory, and whether its settings are
/// inside `SettingLimits`.
extension SequentialConfiguration {
  /// The first setting outside `SettingLimits`, in words; nil when every one is inside.
  public var limitProblem: String? {
    func outside(_ name: String, _ value: Int, _ range: ClosedRange<Int>) -> String? {
      range.contains(value) ? nil : "\(name) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))"
    }
    return outside("dim", dim, SettingLimits.dim) ?? outside("max_length", maxLength, SettingLimits.maxLength)
      ?? outside("the number of dilations", dilations.count, SettingLimits.dilationCount)
      ?? dilations.lazy.compactMap { outside("a dilation", $0, SettingLimits.dilation) }.first
      ?? outside("blocks", blocks, SettingLimits.blocks) ?? outside("heads", heads, SettingLimits.heads)
      ?? outside("gru_layers", gruLayers, SettingLimits.gruLayers) ?? outside(
        "block_factor", blockFactor, SettingLimits.blockFactor)
      ?? outside("batch_size", batchSize, SettingLimits.batchSize)
  }

  /// An upper bound on the parameters of a model over `items` items (the full input and
  /// output tables, no sharing). Call only when `limitProblem` is nil. O(1).
  public func estimatedParameters(items: Int) -> Double {
    let d = Double(dim)
    let n = Double(items)
    let encoder: Double
    switch architecture {
    case .nextitnet: encoder = Double(dilations.count) * 2 * (3 * d * d + 3 * d)
    case .gru4rec: encoder = Double(gruLayers) * 3 * (2 * d * d + 2 * d)
    case .sasrec: encoder = Double(maxLength) * d + Double(blocks) * (6 * d * d + 12 * d)
    }
    return (n + 1) * d + encoder + n * (d + 1)
  }

  /// An estimate of the peak bytes training this model on `items` items takes: every
  /// parameter four times (value, gradient, two Adam moments), the layers' saved activations
  /// for one batch, and the batch's logits over every item under the full softmax. O(1).
  public func estimatedTrainingBytes(items: Int) -> Double {
    let positions = Double(batchSize) * Double(maxLength)
    let d = Double(dim)
    let layers: Double
    switch architecture {
    case .nextitnet: layers = Double(dilations.count) * 12
    case .gru4rec: layers = Double(gruLayers) * 12
    case .sasrec: layers = Double(blocks) * (16 + 3 * Double(heads) * Double(maxLength) / d)
    }
    let logits = loss == .softmax && !blockwise.output ? 2 * positions * Double(items) : 0
    return 4 * (4 * estimatedParameters(items: items) + positions * d * layers + logits)
  }
}
