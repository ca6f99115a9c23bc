import CompactRecKit
import Foundation

// Usage: RecommendFromFile MODEL.crm USER [K]
//        RecommendFromFile MODEL.crm --history ITEM,ITEM,... [K]
// Prints the user's top K items (default 10) with their scores, one per line.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= (arguments.dropFirst().first == "--history" ? 3 : 2) else {
  print("usage: RecommendFromFile MODEL.crm USER [K] | MODEL.crm --history ITEM,ITEM,... [K]")
  exit(64)
}
do {
  let model = try TrainedModel.load(from: arguments[0])
  let byHistory = arguments[1] == "--history"
  let rest = Array(arguments.dropFirst(byHistory ? 2 : 1))
  let k = rest.count > 1 ? Int(rest[1]) ?? 10 : 10
  let items =
    byHistory
    ? try model.recommend(history: rest[0].split(separator: ",").map(String.init), k: k)
    : try model.recommend(user: rest[0], k: k)
  for (item, score) in items { print("\(item)\t\(score)") }
} catch {
  print("error: \(error)")
  exit(1)
}
