package dev.gatehouse.policies.guardrails;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds text written to take over a model that reads it: phrases that override earlier
 * instructions ("ignore all previous instructions", "disregard the system prompt", "forget
 * everything you were told"), announce new ones ("new instructions:", a line starting "system
 * prompt:"), change the model's role ("you are now DAN", "act as an unrestricted AI", "enter
 * jailbreak mode"), ask for the system prompt ("reveal your system prompt"), address an AI reader
 * ("if you are an AI reading this"), hide from the user ("do not tell the user"), and chat-template
 * tokens ({@code <|im_start|>}, {@code [INST]}, {@code <<SYS>>}, {@code <start_of_turn>}).
 *
 * <p>Phrases are matched on a {@link Skeleton}: case, white space and line breaks, punctuation
 * between words, accents, fullwidth and mathematical letters, Cyrillic and Greek look-alikes,
 * zero-width and other invisible characters between letters, Unicode tag characters (decoded),
 * leetspeak digits inside words and spelled-out letters ({@code i g n o r e}) do not hide them.
 * Phrases written without spaces ({@code ignoreallpreviousinstructions}) are found in words of 10
 * or more letters. A phrase preceded by a negation ("do not ignore previous instructions") is not
 * reported.
 *
 * <p>Not covered: paraphrases beyond the listed forms ("set aside what you were told"),
 * languages other than English, encodings (base64, ROT13, a phrase split by markup or spread over
 * several JSON strings), letters split by symbols inside a word ({@code ign-ore}), and anything
 * that only means harm in context. Quoting a phrase is not distinguished from using it: a page
 * about prompt injection that cites "ignore previous instructions" is reported.
 *
 * <p>Work is linear: the text is read in windows of {@value #WINDOW} characters that overlap by
 * {@value #OVERLAP}, so a phrase longer than that (only with heavy obfuscation) may be missed at
 * a window's edge. A phrase pattern is tried only at the start of a word whose first two
 * characters can begin it, a chat-template pattern only at {@code <}, {@code [} and {@code #}
 * (about 50 ns a character on a 2-core machine). Matches do not overlap; the longest one wins at a
 * position.
 */
public final class PromptInjectionInspector implements Inspector {
  static final int WINDOW = 32_768;
  static final int OVERLAP = 2_048;
  /** Words at least this long are also searched for phrases written without spaces. */
  static final int COMPACT_MIN = 10;

  /**
   * A family of phrases. {@code spacedStarts} and {@code compactStarts} say which two characters a
   * match can begin with ({@link #starts}), so a pattern is only tried where it could match.
   */
  private record Family(
      String reason, Pattern spaced, Pattern compact, boolean[] spacedStarts, boolean[] compactStarts, boolean negatable) {}

  /** Marks a family whose match does not count right after a negation ({@link #NEGATIONS}). */
  private static final String NEGATION = "!";
  /** The words that, right before a phrase, turn it into advice: "do not ignore previous instructions". */
  private static final Set<String> NEGATIONS = Set.of(
      "not", "never", "don't", "dont", "didn't", "cannot", "can't", "won't", "shouldn't", "mustn't", "wouldn't", "doesn't");
  private static final String VERB =
      "(?:ignore|disregard|forget|override|overwrite|bypass|discard|abandon|neglect"
          + "|do_not_follow|don't_follow|dont_follow|stop_following|no_longer_follow|do_not_obey|don't_obey|stop_obeying)";
  private static final String SOFT_VERB = "(?:ignore|disregard|forget)";
  private static final String FILL = "(?:(?:all|any|each|every|the|your|my|of|these|those|its|their|our|such|other|that|this|and)_){0,4}";
  private static final String PRIOR =
      "(?:previous(?:ly_given)?|prior|above|aforementioned|preceding|earlier|former|foregoing|original|initial|old|older|past"
          + "|system|developer|given|provided|hidden|safety|ethical)";
  private static final String STRONG =
      "(?:instructions?|prompts?|directions|directives?|guidelines|guidance|programming|orders|system_prompts?|system_messages?"
          + "|developer_messages?)";
  private static final String WEAK =
      "(?:rules|constraints|restrictions|context|commands|policies|limitations|filters|safeguards|guardrails|boundaries)";
  private static final String AI =
      "(?:ai|llm|llms|large_language_model|language_model|ai_assistant|ai_agent|ai_model|chatbot|gpt|chatgpt|claude|gemini|copilot)";
  private static final String LINE_START = "(?:^|(?<=\\n))";

  private static final List<Family> FAMILIES =
      List.of(
          family("overrides earlier instructions", true,
              NEGATION + VERB + "_" + FILL + "(?:" + PRIOR + "_){1,2}(?:(?:set_of|few|of|and)_)?" + STRONG),
          family("overrides earlier instructions", true,
              NEGATION + SOFT_VERB + "_" + FILL + "(?:" + PRIOR + "_){1,2}" + WEAK),
          family("overrides the model's own rules", true,
              NEGATION + VERB + "_(?:(?:all|any)_)?(?:of_)?your_(?:own_)?(?:" + STRONG + "|" + WEAK
                  + "|training|ethics|morals|principles|values)"),
          family("overrides earlier instructions", true,
              NEGATION + VERB + "_(?:about_)?(?:everything|anything|all|whatever|what)_"
                  + "(?:(?:that_)?(?:is_|was_|has_been_)?(?:above|before|earlier|so_far|previously|up_to_now|until_now|written_above"
                  + "|said_(?:above|before|earlier|previously|so_far)|stated_above)"
                  + "|(?:that_)?(?:you_were|you've_been|you_have_been|you_are|you're|i_have|i've|we_have|we've)_"
                  + "(?:told|instructed|given|said|taught)(?:_(?:before|earlier|previously|so_far|until_now))?"
                  + "|(?:i|we)_(?:said|told_you|wrote)(?:_(?:before|earlier|previously|above))?)"),
          family("overrides earlier instructions", false,
              NEGATION + "(?:ignore|disregard|forget)_(?:all_)?(?:of_)?(?:the|everything)_above"
                  + "(?:_(?:and|then|instead|text|content|prompt|input|directions|instructions)(?![a-z0-9'])|(?=\\n|[ ]:|$))"),
          family("asks for the system prompt", true,
              "(?:reveal|print|show|output|repeat|leak|display|dump|tell_me|give_me|share|expose|recite|write_out|spell_out)_(?:me_|us_)?"
                  + "(?:your_(?:(?:full|entire|whole|complete|hidden|secret|exact|original|initial|system)_)?"
                  + "(?:system_prompt|system_message|system_instructions|initial_instructions|hidden_instructions|original_instructions"
                  + "|instructions|prompt|developer_message|initial_prompt|hidden_prompt|pre_prompt|preprompt)"
                  + "|(?:all_)?(?:of_)?the_(?:words|text|sentences|lines|instructions)_above)"),
          family("announces new instructions", false,
              "(?:new|updated|revised|real|actual|true|secret|hidden|override|overriding|priority|urgent|admin|administrator|emergency)_"
                  + "(?:system_)?(?:instructions?|system_prompt|directives?|orders|prompt)_:"),
          family("announces new instructions", false,
              "your_(?:(?:new|real|actual|true)_(?:instructions|directives?|orders|system_prompt|purpose|programming)_(?:is|are|:)"
                  + "|(?:real|actual|true)_(?:task|goal|objective|mission)_(?:is|:))"),
          family("role marker at the start of a line", false,
              LINE_START + "(?:(?:new|updated|real)_)?(?:system|developer|admin|administrator|root|operator)_"
                  + "(?:prompt|message|instructions?|override|directive)_:"),
          family("role marker at the start of a line", false,
              LINE_START + "system_:_(?:you_(?:are_now|must|will_now|should_now)|ignore|disregard|forget|from_now_on|new_instructions"
                  + "|the_(?:assistant|ai|model)_(?:must|will|should))"),
          family("changes the model's role", true,
              "(?:you_are|you're|youre)_now_(?:(?:in_)?(?:dan|developer|jailbreak|jailbroken|unrestricted|unfiltered|evil|admin|sudo|root)_mode"
                  + "|dan|an?_(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|unaligned|unbound|amoral)"
                  + "|no_longer_(?:bound|restricted|limited|constrained|an_ai|an_assistant|required|subject|following|obligated)"
                  + "|free_(?:from|of)_(?:(?:all|any|your)_)?(?:rules|restrictions|guidelines|constraints|limitations|filters|policies|censorship)"
                  + "|(?:unrestricted|unfiltered|uncensored|jailbroken|unbound|amoral))"),
          family("changes the model's role", true,
              "(?:act|behave|respond|roleplay|role_play|pretend)_(?:as|like|to_be|that_you_are|you_are|you're)_(?:if_you_(?:are|were)_)?"
                  + "(?:dan|an?_(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|unaligned|amoral)"
                  + "|(?:unrestricted|unfiltered|uncensored|jailbroken))"),
          family("changes the model's role", true,
              "(?:(?:enter|enable|activate|switch_to|switch_into|turn_on)_(?:dan|jailbreak|unrestricted)_mode"
                  + "|(?:dan|jailbreak)_mode_(?:enabled|activated|on|engaged)|do_anything_now)"),
          family("addresses an AI reader", true,
              "(?:if_you_are|if_you're|to|dear|attention|hey|hello|note_to|message_to|for)_(?:an?_|the_|any_|all_)?" + AI
                  + "s?_(?:reading|processing|summarizing|summarising|parsing|analyzing|analysing|browsing|viewing|scanning|crawling"
                  + "|looking_at|that_(?:reads|is_reading|processes)|who_(?:reads|is_reading))"),
          family("addresses an AI reader", false,
              "(?:note|message|instructions?|attention|important|notice)_(?:to|for)_(?:the_|any_|all_)?(?:" + AI + "|assistant)s?_:"),
          family("hides something from the user", true,
              "(?:do_not|don't|dont|never)_(?:tell|inform|let)_the_user_(?:about|that|this|know|anything|what|you|of)"));

  /** Chat-template tokens; each begins with {@code <}, {@code [} or {@code #}, where it is tried. */
  private static final Pattern MARKUP =
      Pattern.compile(
          "<\\|(?:[a-z0-9]+_[a-z0-9_]+|system|user|assistant|endoftext|endofprompt|start|end|message|channel|return|call|constrain"
              + "|tool|pad|sep|eos|bos)\\|>"
              + "|\\[/?inst\\]|<</?sys>>|</?(?:start|end)_of_turn>|###(?:instruction|system)(?:prompt)?:"
              + "|\\[(?:system|sys)_?(?:message|prompt|override|instructions?)\\]");

  @Override
  public FindingKind kind() {
    return FindingKind.PROMPT_INJECTION;
  }

  @Override
  public void inspect(String text, int limit, FindingSink sink) {
    int lastEnd = 0;
    for (int w = 0; w < limit; w += WINDOW) {
      int acceptEnd = Math.min(limit, w + WINDOW);
      int from = Math.max(0, w - OVERLAP);
      if (from > 0 && Character.isLowSurrogate(text.charAt(from))) {
        from--;
      }
      int to = Math.min(limit, acceptEnd + OVERLAP);
      if (to < limit && Character.isLowSurrogate(text.charAt(to))) {
        to++;
      }
      List<Hit> hits = new ArrayList<>();
      collect(text, from, to, w, acceptEnd, hits);
      hits.sort(Comparator.comparingInt(Hit::start).thenComparing(Comparator.comparingInt(Hit::end).reversed()));
      for (Hit h : hits) {
        if (h.start >= lastEnd) {
          sink.report(FindingKind.PROMPT_INJECTION, h.start, h.end, h.reason, h.excerpt);
          lastEnd = h.end;
        }
      }
    }
  }

  private record Hit(int start, int end, String reason, String excerpt) {}

  private static void collect(String text, int from, int to, int acceptStart, int acceptEnd, List<Hit> hits) {
    Skeleton words = Skeleton.words(text, from, to);
    String w = words.text();
    int n = w.length();
    Matcher[] spaced = new Matcher[FAMILIES.size()];
    for (int i = 0; i < n; i++) {
      if (!Skeleton.word(w.charAt(i)) || i > 0 && Skeleton.word(w.charAt(i - 1))) {
        continue; // phrases begin at the start of a word
      }
      int key = key(w.charAt(i), i + 1 < n ? w.charAt(i + 1) : ' ');
      for (int f = 0; f < FAMILIES.size(); f++) {
        Family family = FAMILIES.get(f);
        if (!family.spacedStarts[key]) {
          continue;
        }
        if (spaced[f] == null) {
          spaced[f] = family.spaced.matcher(w).useTransparentBounds(true).useAnchoringBounds(false);
        }
        Matcher m = spaced[f].region(i, n);
        if (m.lookingAt() && !(family.negatable && negated(w, i))) {
          add(words, m.start(), m.end(), family.reason, acceptStart, acceptEnd, hits);
        }
      }
    }
    // Phrases written without spaces, inside long words.
    Matcher[] compact = new Matcher[FAMILIES.size()];
    int i = 0;
    while (i < n) {
      if (!Skeleton.word(w.charAt(i))) {
        i++;
        continue;
      }
      int j = i;
      while (j < n && Skeleton.word(w.charAt(j))) {
        j++;
      }
      if (j - i >= COMPACT_MIN) {
        for (int k = i; k < j - 1; k++) {
          int key = key(w.charAt(k), w.charAt(k + 1));
          for (int f = 0; f < FAMILIES.size(); f++) {
            Family family = FAMILIES.get(f);
            if (family.compact == null || !family.compactStarts[key]) {
              continue;
            }
            if (compact[f] == null) {
              compact[f] = family.compact.matcher(w);
            }
            Matcher m = compact[f].region(k, j);
            if (m.lookingAt()) {
              add(words, m.start(), m.end(), family.reason, acceptStart, acceptEnd, hits);
            }
          }
        }
      }
      i = j;
    }
    Skeleton markup = Skeleton.markup(text, from, to);
    String mk = markup.text();
    Matcher m = MARKUP.matcher(mk);
    for (int k = 0; k < mk.length(); k++) {
      char c = mk.charAt(k);
      if ((c == '<' || c == '[' || c == '#') && m.region(k, mk.length()).lookingAt()) {
        add(markup, m.start(), m.end(), "chat-template or role token", acceptStart, acceptEnd, hits);
        k = m.end() - 1;
      }
    }
  }

  private static void add(Skeleton s, int start, int end, String reason, int acceptStart, int acceptEnd, List<Hit> hits) {
    if (end <= start) {
      return;
    }
    int from = s.sourceStart(start);
    if (from >= acceptStart && from < acceptEnd) {
      hits.add(new Hit(from, s.sourceEnd(end - 1), reason, s.substring(start, end).replace('\n', ' ')));
    }
  }

  /**
   * A family of phrases written with {@code _} between words: a space or a line break in the
   * skeleton, nothing in the compact form. Families that need a {@code :} or a line start have no
   * compact form.
   */
  private static Family family(String reason, boolean compact, String phrase) {
    boolean negatable = phrase.startsWith(NEGATION);
    String body = negatable ? phrase.substring(NEGATION.length()) : phrase;
    Pattern spaced = Pattern.compile("(?<![a-z0-9'])" + body.replace("_", "[ \\n]") + "(?![a-z0-9'])");
    Pattern c = compact ? Pattern.compile(body.replace("_", "")) : null;
    return new Family(reason, spaced, c, starts(spaced), c == null ? null : starts(c), negatable);
  }

  /** The word before skeleton index {@code i} (across one separator) is a negation. */
  private static boolean negated(String w, int i) {
    int end = i - 1; // the separator
    if (end < 1 || w.charAt(end) != ' ' && w.charAt(end) != '\n') {
      return false;
    }
    int start = end;
    while (start > 0 && Skeleton.word(w.charAt(start - 1)) && end - start < 10) {
      start--;
    }
    return NEGATIONS.contains(w.substring(start, end));
  }

  /** Skeleton characters, numbered for {@link #key}: a-z, 0-9, apostrophe, and the rest (space, newline, ':'). */
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789' ";

  /** The index of a pair of skeleton characters in a {@link #starts} table. */
  private static int key(char a, char b) {
    return index(a) * ALPHABET.length() + index(b);
  }

  private static int index(char c) {
    if (c >= 'a' && c <= 'z') {
      return c - 'a';
    }
    if (c >= '0' && c <= '9') {
      return 26 + c - '0';
    }
    return c == '\'' ? 36 : 37;
  }

  /**
   * Which two characters a match of {@code p} can begin with: those for which matching the two
   * alone either succeeds or runs out of input ({@link Matcher#hitEnd()}). Derived from the compiled
   * pattern, so it cannot drift from it; it may admit a pair that never leads to a match, never the
   * other way round. (The rest class stands for space and newline, the characters that can follow
   * a one-letter word.)
   */
  private static boolean[] starts(Pattern p) {
    boolean[] ok = new boolean[ALPHABET.length() * ALPHABET.length()];
    for (int a = 0; a < ALPHABET.length(); a++) {
      for (int b = 0; b < ALPHABET.length(); b++) {
        String pair = "" + ALPHABET.charAt(a) + ALPHABET.charAt(b);
        for (String probe : new String[] {pair, pair.replace(' ', '\n')}) {
          Matcher m = p.matcher(probe).useAnchoringBounds(false);
          if (m.lookingAt() || m.hitEnd()) {
            ok[a * ALPHABET.length() + b] = true;
          }
        }
      }
    }
    return ok;
  }
}
