import Foundation
import TextTrimming

/// Separates what a customer just wrote from the earlier messages their mail client quoted below
/// it. Conservative: text is cut only at an attribution line ("On … wrote:" in the supported
/// languages), a client's separator ("-----Original Message-----", Outlook's underscore rule
/// followed by From:), or where every remaining line is quoted with ">". Replies written between
/// quoted lines are kept whole.
public enum QuotedReply {
    /// The new part of `text`, trimmed; the whole text when nothing looks quoted.
    public static func newContent(of text: String) -> String {
        // "\r\n" is one Character in Swift, so both line endings split here.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        let cut = firstQuotedLine(lines) ?? lines.count
        let kept = lines[..<cut].joined(separator: "\n").trimmingWhitespace()
        return kept.isEmpty ? text.trimmingWhitespace() : kept
    }

    static func firstQuotedLine(_ raw: [String]) -> Int? {
        let lines = raw.map { $0.trimmingSpaces() }
        // Where the bottom block of only ">"-quoted (or blank) lines begins.
        var quotedTail = lines.count
        while quotedTail > 0, lines[quotedTail - 1].isEmpty || lines[quotedTail - 1].hasPrefix(">") { quotedTail -= 1 }
        for (index, line) in lines.enumerated() {
            if isSeparator(line, following: lines[(index + 1)...]) { return index }
            // An attribution may wrap onto a second line (Gmail does this for long names).
            if isAttribution(line) { return index }
            if startsLikeAttribution(line), index + 1 < lines.count, isAttribution(line + " " + lines[index + 1]) { return index }
            if line.hasPrefix(">"), index >= quotedTail { return index }
        }
        return nil
    }

    private static let attributionEndings = [
        "wrote:", "writes:",                           // English
        "пише:", "написав:", "написала:", "написав(ла):", // Ukrainian
        "пишет:", "написал:", "написала:", "написал(а):", // Russian
        "napisał:", "napisała:", "napisał(a):",        // Polish
        "كتب:", "كتبت:",                                // Arabic
        "写道：", "寫道：", "写道:", "寫道:",               // Chinese
    ]

    private static let attributionStarts = ["On ", "Am ", "Le ", "El ", "W dniu ", "Dnia ", "В ", "У ", "в ", "у ", "في "]

    static func startsLikeAttribution(_ line: String) -> Bool {
        attributionStarts.contains { line.hasPrefix($0) } || line.first?.isNumber == true
    }

    static func isAttribution(_ line: String) -> Bool {
        // Every attribution ends with a colon (ASCII or full-width); most lines are rejected here
        // before the costlier checks.
        guard line.hasSuffix(":") || line.hasSuffix("："), line.count < 200 else { return false }
        let lowered = line.lowercased()
        if attributionEndings.contains(where: { lowered.hasSuffix($0) }) { return true }
        // Arabic puts the verb before the sender: "في …، كتب Name <address>:".
        return line.hasSuffix(":") && (line.contains("كتب ") || line.contains("كتبت "))
    }

    static func isSeparator(_ line: String, following: ArraySlice<String>) -> Bool {
        // Both kinds of separator start with a rule; the regular expressions run only then.
        guard line.hasPrefix("--") || line.hasPrefix("__") else { return false }
        if line.lowercased().range(of: #"^-{2,}\s*(original message|исходное сообщение|оригінальне повідомлення|wiadomość oryginalna|forwarded message)\s*-{2,}$"#,
                         options: .regularExpression) != nil {
            return true
        }
        // Outlook: a rule of underscores followed by the quoted message's From: line.
        if line.count >= 20, line.allSatisfy({ $0 == "_" }), let next = following.first(where: { !$0.isEmpty }),
           next.range(of: #"^(From|Від|От|Od|من|发件人|寄件者):"#, options: .regularExpression) != nil {
            return true
        }
        return false
    }
}
