import Foundation

/// How a model did on labelled examples it never saw: overall and per language, precision and
/// recall per category, and a confusion matrix per language. A prediction below the threshold
/// counts as "none" (the conversation would stay uncategorised): never right, never a false
/// positive of a category.
public struct CategoryEvaluation: Sendable, Codable, Equatable {
    public struct Tally: Sendable, Codable, Equatable {
        public var correct = 0
        public var total = 0
        public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    }

    public struct CategoryScores: Sendable, Codable, Equatable {
        public var truePositives = 0
        public var falsePositives = 0
        public var falseNegatives = 0
        public var precision: Double { truePositives + falsePositives == 0 ? 0 : Double(truePositives) / Double(truePositives + falsePositives) }
        public var recall: Double { truePositives + falseNegatives == 0 ? 0 : Double(truePositives) / Double(truePositives + falseNegatives) }
    }

    /// The label of a prediction under the threshold.
    public static let none = "(none)"

    public var threshold: Double
    public var overall = Tally()
    public var byLanguage: [String: Tally] = [:]
    public var byCategory: [String: CategoryScores] = [:]
    /// language → expected category → predicted category (or ``none``) → count.
    public var confusion: [String: [String: [String: Int]]] = [:]

    /// How the rules, the model and the two together did on the same examples, when the
    /// rules were asked too.
    public var comparison: CategoryComparison?

    /// Scores `guesses` (category and probability, or nil; one per example, in order) on
    /// `examples` of known language.
    public init(threshold: Double, examples: [(language: String, example: CategoryExample)],
                guesses: [(category: String, probability: Double)?]) {
        self.threshold = threshold
        for ((language, example), guess) in zip(examples, guesses) {
            let predicted = guess.flatMap { $0.probability >= threshold ? $0.category : nil }
            let right = predicted == example.category
            overall.total += 1
            byLanguage[language, default: Tally()].total += 1
            if right {
                overall.correct += 1
                byLanguage[language, default: Tally()].correct += 1
                byCategory[example.category, default: CategoryScores()].truePositives += 1
            } else {
                byCategory[example.category, default: CategoryScores()].falseNegatives += 1
                if let predicted { byCategory[predicted, default: CategoryScores()].falsePositives += 1 }
            }
            confusion[language, default: [:]][example.category, default: [:]][predicted ?? Self.none, default: 0] += 1
        }
    }

    /// The evaluation as people read it: tables of plain text.
    public var report: String {
        func percent(_ value: Double) -> String { String(format: "%5.1f %%", value * 100) }
        var lines: [String] = []
        lines.append("held-out examples: \(overall.total); threshold \(threshold); accuracy \(percent(overall.accuracy))")
        lines.append("")
        lines.append("language  examples  accuracy")
        for (language, tally) in byLanguage.sorted(by: { $0.key < $1.key }) {
            lines.append(language.padding(toLength: 10, withPad: " ", startingAt: 0)
                         + String(tally.total).leftPadded(8) + "  " + percent(tally.accuracy))
        }
        lines.append("")
        lines.append("category        precision   recall")
        for (category, scores) in byCategory.sorted(by: { $0.key < $1.key }) {
            lines.append(category.padding(toLength: 14, withPad: " ", startingAt: 0)
                         + "  " + percent(scores.precision) + "  " + percent(scores.recall))
        }
        if let comparison {
            lines.append("")
            lines.append(contentsOf: comparison.report)
        }
        let categories = Set(confusion.values.flatMap { $0.keys }).sorted()
        let columns = categories + [Self.none]
        for (language, rows) in confusion.sorted(by: { $0.key < $1.key }) {
            lines.append("")
            lines.append("confusion, \(language) (rows: the right category; columns: the model's)")
            lines.append(String(repeating: " ", count: 14) + columns.map { String($0.prefix(7)).leftPadded(8) }.joined())
            for category in categories {
                guard let row = rows[category] else { continue }
                lines.append(category.padding(toLength: 14, withPad: " ", startingAt: 0)
                             + columns.map { String(row[$0] ?? 0).leftPadded(8) }.joined())
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// Accuracy overall and per language of the three ways a category can be decided: the rules
/// alone (every enabled rule, as without a model), the model alone (its guess when it reaches
/// the threshold), and the rules that do not yield to the model first, then the model where
/// none matches (what ingest does beside a model). Uncategorised counts as wrong.
public struct CategoryComparison: Sendable, Codable, Equatable {
    public struct Accuracy: Sendable, Codable, Equatable {
        public var overall = CategoryEvaluation.Tally()
        public var byLanguage: [String: CategoryEvaluation.Tally] = [:]

        mutating func count(_ right: Bool, language: String) {
            overall.total += 1
            byLanguage[language, default: .init()].total += 1
            if right {
                overall.correct += 1
                byLanguage[language, default: .init()].correct += 1
            }
        }
    }

    public var rules = Accuracy()
    public var model = Accuracy()
    public var rulesThenModel = Accuracy()

    /// `guesses` are the model's verdicts, `rulesWithoutModel` and `rulesBesideModel` the rules'
    /// without a model and beside one; one per example each, in order.
    public init(threshold: Double, examples: [(language: String, example: CategoryExample)],
                guesses: [(category: String, probability: Double)?], rulesWithoutModel: [String?], rulesBesideModel: [String?]) {
        for (index, (language, example)) in examples.enumerated()
        where index < guesses.count && index < rulesWithoutModel.count && index < rulesBesideModel.count {
            let modelSays = guesses[index].flatMap { $0.probability >= threshold ? $0.category : nil }
            rules.count(rulesWithoutModel[index] == example.category, language: language)
            model.count(modelSays == example.category, language: language)
            rulesThenModel.count((rulesBesideModel[index] ?? modelSays) == example.category, language: language)
        }
    }

    /// A table: one line per way of deciding, a column per language.
    public var report: [String] {
        func percent(_ tally: CategoryEvaluation.Tally?) -> String {
            guard let tally, tally.total > 0 else { return "      -" }
            return String(format: "%5.1f %%", tally.accuracy * 100).leftPadded(8)
        }
        let languages = model.byLanguage.keys.sorted()
        var lines = ["decided by".padding(toLength: 18, withPad: " ", startingAt: 0) + "overall".leftPadded(8)
                     + languages.map { $0.leftPadded(8) }.joined()]
        for (name, accuracy) in [("rules alone", rules), ("model alone", model), ("rules, then model", rulesThenModel)] {
            lines.append(name.padding(toLength: 18, withPad: " ", startingAt: 0) + percent(accuracy.overall)
                         + languages.map { percent(accuracy.byLanguage[$0]) }.joined())
        }
        return lines
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
