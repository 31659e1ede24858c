"""The built-in icebreaker questions, and what "near-duplicate" means.

Every question was written for Mentorbot. Ids are stable (`<category>-<nn>`): posts,
answers and admins' `/icebreaker remove <id>` refer to them, so never renumber; retire
a question by deleting its line (its id is then never reused) and add new ones with
new numbers. `tests/test_icebreaker_bank.py` checks ids, categories, and that no two
questions are near-duplicates by `near_duplicate()`, the same check `/icebreaker add`
and `suggest` use.

The English text is also a question's message id in the catalogs (`N_()` marks it; a
post says it in the team's language through `_()`), while the id is its identity:
rotation, history and answers store the id, so a question is the same in every language.
Changing a question's English means translating it anew (the old translation no longer
matches). Near-duplicates are checked on the English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from dialogs.core.i18n import N_

# key -> label, in the order admins see them.
CATEGORIES: dict[str, str] = {
    "know": N_("Getting to know you"),
    "craft": N_("Work and craft"),
    "growth": N_("Growth"),
    "fun": N_("Fun"),
    "values": N_("Values"),
    "remote": N_("Remote life"),
}
CUSTOM = "custom"  # the category of a team's own questions


@dataclass(frozen=True)
class Question:
    id: str
    category: str
    text: str


_BANK: dict[str, tuple[str, ...]] = {
    "know": (
        N_("What's a small thing that reliably makes your day better?"),
        N_("Which place you have lived in shaped you the most, and how?"),
        N_("What did you want to be when you were ten years old?"),
        N_("What is a skill you have that would surprise most of your colleagues?"),
        N_("Which song would play if your life had an opening theme?"),
        N_("What's the story behind your name, or a nickname you've had?"),
        N_("What is a hobby you picked up and dropped again, and why didn't it stick?"),
        N_("Which meal would you cook to impress a guest?"),
        N_("What's a tradition from your family or hometown that you still keep?"),
        N_("What is the best piece of advice an older relative ever gave you?"),
        N_("Which book, film or series do you return to again and again?"),
        N_("What was your first paid job, and what did it teach you?"),
        N_("If you could speak any language fluently overnight, which would it be?"),
        N_("What's a spot near where you live that visitors should not miss?"),
        N_("How do you recharge after a demanding week?"),
        N_("Which object on your desk or shelf has the best backstory?"),
        N_("What is something you're a complete beginner at right now?"),
        N_("Morning person, night owl, or something in between: what does your rhythm look like?"),
        N_("What's a journey you still think about years later?"),
        N_("Which season suits you best, and what do you love doing in it?"),
        N_("What did you collect as a child, or what do you still collect?"),
        N_("Who is someone outside work who has taught you a lot?"),
    ),
    "craft": (
        N_("What part of your work would you happily do even if nobody asked?"),
        N_("Which tool or shortcut saves you the most time each week?"),
        N_("What does a really good working day look like for you?"),
        N_("What's a piece of work you're quietly proud of?"),
        N_("How do you get unstuck when a problem refuses to budge?"),
        N_("What's the most useful feedback you've received on your work?"),
        N_("Which meeting habit would you ban from every calendar?"),
        N_("What is a mistake that taught you more than any success?"),
        N_("How do you decide what to tackle first when everything feels urgent?"),
        N_("What do newcomers to your role usually get wrong at first?"),
        N_("Which colleague's way of working have you borrowed, and what did you take?"),
        N_('What does "done" mean to you on a task?'),
        N_("How do you like to be recognised when you've done good work?"),
        N_("What do you wish other teams knew about how your team operates?"),
        N_("Which part of your job would be hardest to explain to a child?"),
        N_("What's your trick for writing messages or documents people actually read?"),
        N_("When do you do your most focused work, and how do you protect that time?"),
        N_("Which process at work would you redesign from scratch?"),
        N_("Which question do you ask most often when a new project starts?"),
        N_("What small habit makes collaborating with you easier?"),
        N_("Which craft outside your own field has standards you admire?"),
    ),
    "growth": (
        N_("What is something you've changed your mind about in the last year?"),
        N_("Which skill would you like to be noticeably better at six months from now?"),
        N_("Who has mentored you, formally or not, and what did they do well?"),
        N_("What's a risk you took that paid off?"),
        N_("What would you tell yourself from five years ago?"),
        N_("What difficult thing turned out easier to learn than you expected?"),
        N_("How do you keep learning when work gets busy?"),
        N_("What is a fear you've worked through, even partly?"),
        N_("Which talk, course or book changed the way you work?"),
        N_("What's a goal you set and are now glad you abandoned?"),
        N_("What question would you most like to ask a senior leader here?"),
        N_("What does growth look like for you, beyond a promotion?"),
        N_("What topic could you teach a workshop on tomorrow with no preparation?"),
        N_("How do you handle the first day or two after a setback?"),
        N_("Which habit did you build that stuck, and what made it stick?"),
        N_("What are you curious about but haven't had time to explore?"),
        N_("When did you last feel out of your depth, and what helped?"),
        N_("What is the most generous thing someone has done for your career?"),
        N_("Which of your strengths took you a long time to notice?"),
        N_("Which experiment would you run on your own routine for a month?"),
        N_("How do you ask for help when you need it?"),
    ),
    "fun": (
        N_("If our team were a band, what would we be called?"),
        N_("Which fictional world would you move to for a year?"),
        N_("What's the most unusual food you've tried and would happily eat again?"),
        N_("If you could add one holiday to the calendar, what would it celebrate?"),
        N_("Which superpower would be mildly useful but totally impractical?"),
        N_("What is your go-to karaoke song, even if you've never sung it out loud?"),
        N_("If you opened a small shop, what would it sell?"),
        N_("Which animal best matches your working style, and why?"),
        N_("What's the best board or video game to play with a group of colleagues?"),
        N_("Pineapple on pizza: defend your position in one sentence."),
        N_("What would the title of your autobiography be?"),
        N_("Which historical figure would you invite to dinner, and what would you ask them?"),
        N_("What odd talent would you show off at a team talent show?"),
        N_("What is the most useless fact you know by heart?"),
        N_("If you had to eat one snack for the rest of the year, which would it be?"),
        N_("Which movie should everyone on this team watch at least once?"),
        N_("What would your entrance music be if you walked into every meeting with one?"),
        N_("If you could instantly become an expert at a sport, which one would you pick?"),
        N_("Which emoji do you use far too often?"),
        N_("What's the best name you've ever heard for a pet?"),
        N_("If you swapped lives with someone for a day, whose would you choose?"),
        N_("What gadget did you buy that turned out brilliant, or completely useless?"),
    ),
    "values": (
        N_("What does a good team feel like from the inside?"),
        N_("Which quality do you look for first in a new colleague?"),
        N_("What will you always make time for, however busy you are?"),
        N_("When have you seen someone disagree well at work?"),
        N_("What does fairness look like in how work gets shared?"),
        N_("What's a promise you keep to yourself about how you treat people?"),
        N_("What impact would you like your work to have five years from now?"),
        N_("Which rule do you quietly ignore because it makes no sense?"),
        N_("How do you know when you trust someone at work?"),
        N_("What does a healthy relationship with work look like to you?"),
        N_("Who deserves more credit than they get, and for what?"),
        N_("What is one thing our organisation does that you'd protect at all costs?"),
        N_("When is it right to say no to a request?"),
        N_("What does kindness look like during a busy week?"),
        N_("What does being a good neighbour mean where you live?"),
        N_("Which cause outside work matters most to you?"),
        N_("How do you want people to feel after a meeting you've led?"),
        N_("What does honesty ask of you when something goes wrong?"),
        N_("What's a compliment you received that still means a lot to you?"),
        N_("What should every team celebrate more often?"),
        N_("What would you change about how success is measured here?"),
    ),
    "remote": (
        N_("What does your work setup look like right now, and what would you upgrade?"),
        N_("How do you mark the end of the workday when home is also the office?"),
        N_("What's the best thing about working remotely for you, and the hardest?"),
        N_("Which video call habit do you appreciate in others?"),
        N_("What do you do on a screen break to actually rest your eyes?"),
        N_("Who or what keeps you company while you work: a pet, a plant, a playlist?"),
        N_("How do you like to get to know a colleague you've never met in person?"),
        N_("What does your ideal commute-free morning look like?"),
        N_("Which time zone do you wish you could borrow an hour from?"),
        N_("What's your trick for keeping back-to-back calls from feeling draining?"),
        N_("Where is the most unusual place you've ever joined a call from?"),
        N_("How do you stay visible without feeling like you're always online?"),
        N_("What small ritual helps a team feel connected across distance?"),
        N_("What do you miss most from working in an office, if anything?"),
        N_("What background noise helps you concentrate?"),
        N_("What's your lunch routine on a day at home?"),
        N_("How do you signal to others that you're in deep focus?"),
        N_("Which chat etiquette rule would you make everyone follow?"),
        N_("If we all met in person for a day, what should we do together?"),
        N_("What's a remote-work mishap that still makes you laugh?"),
        N_("How do you get outside on a day full of calls?"),
    ),
}

QUESTIONS: tuple[Question, ...] = tuple(
    Question(f"{category}-{n:02d}", category, text)
    for category, texts in _BANK.items()
    for n, text in enumerate(texts, start=1)
)
BY_ID: dict[str, Question] = {q.id: q for q in QUESTIONS}


# --- near-duplicates -------------------------------------------------------------------
# Words that carry no topic; two questions sharing only these are not alike.
_STOPWORDS_TEXT = """a about after all also an and any are as at be been being but by can could
did do does doing for from get had has have how i if in into is it its just like me more most
my never not of on one or our out over own so some than that the their them then there these
they this those to too up us very want was we were what when where which while who whom why
will with would you your yours yourself whats hows whos wheres youve youre youd ive im dont
didnt isnt s ve re ll d t m"""  # i18n: not said
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+")
# Thresholds: at or above either, two questions are near-duplicates.
JACCARD_LIMIT = 0.5  # share of topic words in common (spelling variants count as one)
RATIO_LIMIT = 0.85  # similarity ratio (rapidfuzz, 0 to 1) of the topic words, in order
_SAME_WORD = 0.8  # "favourite" and "favorite" are one word


def normalize(text: str) -> str:
    return " ".join(_WORD.findall(text.lower().replace("'", "").replace("’", "")))


def topic_words(text: str) -> list[str]:
    return [w for w in normalize(text).split() if w not in _STOPWORDS]


def similarity(a: str, b: str) -> tuple[float, float]:
    """(Jaccard of topic words, matching spelling variants; similarity ratio of them in
    order, from rapidfuzz's normalized edit distance)."""
    wa, wb = set(topic_words(a)), set(topic_words(b))
    common = _fuzzy_common(wa, wb)
    union = len(wa) + len(wb) - common
    jaccard = common / union if union else 1.0
    ratio = fuzz.ratio(" ".join(topic_words(a)), " ".join(topic_words(b))) / 100
    return jaccard, ratio


def _fuzzy_common(wa: set[str], wb: set[str]) -> int:
    """Words of `wa` with an equal or nearly equal word in `wb` (each used once)."""
    left, common = set(wb), 0
    for word in sorted(wa):
        match = word if word in left else _close(word, left)
        if match is not None:
            left.discard(match)
            common += 1
    return common


def _close(word: str, candidates: set[str]) -> str | None:
    if len(word) < 5:
        return None
    for other in sorted(candidates):
        if len(other) >= 5 and fuzz.ratio(word, other) >= _SAME_WORD * 100:
            return other
    return None


def near_duplicate(a: str, b: str) -> bool:
    jaccard, ratio = similarity(a, b)
    return jaccard >= JACCARD_LIMIT or ratio >= RATIO_LIMIT


def category_key(text: str) -> str | None:
    """A category from what an admin typed: its key or its label in any language Mentorbot
    writes ("fun", "Work and craft", "Spaß", "仕事と専門性"), any case."""
    from dialogs.core import i18n

    wanted = _label(text)
    if not wanted:
        return None
    words = i18n.catalog(__package__)
    for key, label in CATEGORIES.items():
        said = {_label(words.in_language(lang, label)) for lang in i18n.LANGUAGES}
        if wanted == key or wanted in said:
            return key
    return None


def _label(text: str) -> str:
    """A label's words in any script, any case: "Spaß", "spass", "お楽しみ"."""
    return " ".join(re.findall(r"\w+", text.casefold().replace("'", "").replace("’", "")))
