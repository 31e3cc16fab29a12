# ruff: noqa: RUF001  (en dashes are part of the resume text written here)
"""Layouts: how a :class:`~resume_ner.data.generator.resume.Resume` is written as text.

Each layout is a function ``(Writer) -> None`` registered in :data:`LAYOUTS`: plain sections,
Markdown, PDF-extracted text (lines broken at odd places), experience as a table, two columns
interleaved line by line, Europass, a LinkedIn export and an academic CV. The spans follow
docs/annotation.md: labels, headings, dates, companies, URLs, certifications and referees'
names and contact details are never entities.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from resume_ner.data.generator.builder import Builder, Piece
from resume_ner.data.generator.career import Career
from resume_ner.data.generator.languages import ENGLISH, Language
from resume_ner.data.generator.professions import AWARDS, COURSES
from resume_ner.data.generator.resume import Resume

ACADEMIC_TITLES = (
    "Assistant Professor",
    "Associate Professor",
    "Professor",
    "Postdoctoral Researcher",
    "Research Fellow",
    "Senior Lecturer",
    "Lecturer",
    "Research Associate",
    "Teaching Fellow",
    "Visiting Scholar",
)
DEPARTMENTS = (
    "Chemistry",
    "Economics",
    "Nursing",
    "Law",
    "Civil Engineering",
    "History",
    "Computer Science",
    "Education",
    "Public Health",
)
BULLET_MARKS = ("• ", "- ", "* ", "– ", "▪ ", "◦ ", "> ", "· ", "", "● ", "o ")


@dataclass
class Writer:
    """A resume being written: its content, career text source, builder and chosen styles."""

    resume: Resume
    career: Career
    b: Builder
    rng: random.Random
    language: Language
    bullet: str
    heading_style: int
    spaced_headings: bool = False

    # -- small pieces ------------------------------------------------------------------------

    def heading(self, section: str) -> None:
        """A section heading in the resume's language (sometimes English)."""
        lang = self.language if self.rng.random() < 0.9 else ENGLISH
        title = self.rng.choice(lang.headings[section])
        b, style = self.b, self.heading_style
        if self.spaced_headings and self.rng.random() < 0.5:
            b.line(" ".join(title.upper()))
        elif style == 0:
            b.line(title.upper())
        elif style == 1:
            b.line(title)
        elif style == 2:
            b.line(f"{title}:")
        elif style == 3:
            b.line(title.upper())
            b.line("-" * len(title))
        elif style == 4:
            b.line(f"## {title}")
        elif style == 5:
            b.line(f"[ {title} ]")
        else:
            b.line(title)
            b.line("=" * len(title))

    def gap(self) -> None:
        """Blank space between sections."""
        nl = self.b.nl
        self.b.add(self.rng.choice((nl, nl * 2, " " + nl, nl + nl)))

    def label(self, kind: str) -> str:
        """A field label (``Email``, ``Telefone`` ...) with its separator."""
        return self.rng.choice(self.language.labels[kind]) + self.rng.choice(
            (": ", ":  ", " ", ":\t")
        )

    def contact(self) -> list[Piece]:
        """E-mail, phone, location and links of the candidate, as pieces of one list."""
        r = self.resume
        items: list[list[Piece]] = [[(r.candidate.email, "EMAIL")]]
        if r.has("PHONE"):
            items.append([(r.candidate.phone, "PHONE")])
        if r.location:
            items.append([(r.location, "LOCATION")])
        if self.rng.random() < 0.5:
            items.append([(r.links[0], None)])
        self.rng.shuffle(items)
        return [piece for item in items for piece in item]

    def contact_line(self) -> None:
        # Not bare whitespace: a link ending in digits would run into a phone number after it.
        separator = self.rng.choice((" | ", " • ", "  ·  ", " – ", " ; "))
        for i, piece in enumerate(self.contact()):
            if i:
                self.b.add(separator)
            self.b.piece(*piece)
        self.b.line()

    def bullets(self, bullets: list[list[Piece]]) -> None:
        for bullet in bullets:
            self.b.add(self.bullet)
            self.b.pieces(bullet)
            self.b.line(self.rng.choice(("", "", ".", ";")))

    # -- headers -------------------------------------------------------------------------------

    def header(self) -> None:
        """The candidate's name, headline and contact details in one of several forms."""
        rng, b, r = self.rng, self.b, self.resume
        style = rng.randrange(5)
        name = r.candidate.name.upper() if rng.random() < 0.25 else r.candidate.name
        if style == 0:
            b.entity(name, "NAME")
            b.line()
            b.entity(r.headline, "DESIGNATION")
            if r.has("EXPERIENCE") and rng.random() < 0.3:
                b.add(rng.choice((" · ", " – ", " | ", ", ")))
                b.entity(self.career.experience(), "EXPERIENCE")
            if rng.random() < 0.5:
                b.line()
            else:
                b.add(" | ")
            self.contact_line()
        elif style == 1:
            b.add(self.label("name"))
            b.entity(r.candidate.name, "NAME")
            b.line()
            b.add(self.label("email"))
            b.entity(r.candidate.email, "EMAIL")
            b.line()
            if r.has("PHONE"):
                b.add(self.label("phone"))
                b.entity(r.candidate.phone, "PHONE")
                b.line()
            if r.location:
                b.add(self.label("location"))
                if rng.random() < 0.3:
                    b.add(f"{self.career.fake.street_address()}, ".replace("\n", ", "))
                b.entity(r.location, "LOCATION")
                b.line()
            b.add(self.label("links"))
            b.line(r.links[0])
            b.entity(r.headline, "DESIGNATION")
            b.line()
        elif style == 2:
            b.entity(name, "NAME")
            b.add(rng.choice((", ", " | ", " — ", "\n")))
            b.entity(r.headline, "DESIGNATION")
            b.line()
            if r.location:
                if rng.random() < 0.4:
                    postcode = self.career.fake.postcode()
                    b.add(f"{self.career.fake.street_name()} {rng.randrange(1, 300)}, {postcode} ")
                b.entity(r.location, "LOCATION")
                b.line()
            b.add(self.label("email"))
            b.entity(r.candidate.email, "EMAIL")
            if r.has("PHONE"):
                b.add(" · " + self.label("phone"))
                b.entity(r.candidate.phone, "PHONE")
            b.line()
        elif style == 3:
            width = max(len(r.candidate.name), len(r.headline)) + rng.randrange(4, 20)
            left: list[Piece] = [(r.candidate.name, "NAME"), (r.headline, "DESIGNATION")]
            right = self.contact()
            for row in range(max(len(left), len(right))):
                used = 0
                if row < len(left):
                    b.piece(*left[row])
                    used = len(left[row][0])
                if row < len(right):
                    b.add("\t" if rng.random() < 0.2 else " " * (width - used))
                    b.piece(*right[row])
                b.line()
        else:
            b.add(
                rng.choice(("My name is ", "I am ", "Hello, I'm "))
                if self.language is ENGLISH
                else ""
            )
            b.entity(r.candidate.name, "NAME")
            b.add(", " if self.language is ENGLISH else " — ")
            b.entity(r.headline, "DESIGNATION")
            if r.location:
                b.add(" based in " if self.language is ENGLISH else ", ")
                b.entity(r.location, "LOCATION")
            b.line(".")
            self.contact_line()

    # -- sections ------------------------------------------------------------------------------

    def summary(self) -> None:
        self.heading("summary")
        self.b.pieces(self.resume.summary)
        if self.resume.location and self.rng.random() < 0.2 and self.language is ENGLISH:
            self.b.add(self.rng.choice((" Open to relocation from ", " Currently in ")))
            self.b.entity(self.career.location(), "LOCATION")
            self.b.add(".")
        self.b.line()

    def jobs(self) -> None:
        rng, b = self.rng, self.b
        self.heading("experience")
        style = rng.randrange(6)
        for number, job in enumerate(self.resume.jobs):
            if number:
                self.gap()
            at = rng.choice(self.language.at)
            if style == 5:
                b.add(job.company)
                if job.location:
                    b.add(", ")
                    b.entity(job.location, "LOCATION")
                b.line()
                b.entity(job.title, "DESIGNATION")
                used = len(job.title)
                if rng.random() < 0.4:
                    department = f", {rng.choice(DEPARTMENTS)}"
                    b.add(department)
                    used += len(department)
                b.line(" " * max(3, rng.randrange(50, 75) - used) + job.dates)
            elif style == 0:
                b.entity(job.title, "DESIGNATION")
                b.add(f" | {job.company} | ")
                if job.location:
                    b.entity(job.location, "LOCATION")
                    b.add(" | ")
                b.line(job.dates)
            elif style == 1:
                b.add(job.company)
                if job.location:
                    b.add(rng.choice((" — ", ", ", " – ", "\t")))
                    b.entity(job.location, "LOCATION")
                b.line()
                b.entity(job.title, "DESIGNATION")
                b.line()
                b.line(job.dates)
            elif style == 2:
                b.entity(job.title, "DESIGNATION")
                b.line(f"{at}{job.company} ({job.dates})".replace("  ", " "))
                if job.location:
                    b.entity(job.location, "LOCATION")
                    b.line()
            elif style == 3:
                b.add(f"{job.dates}\t")
                b.entity(job.title, "DESIGNATION")
                b.add(f"{at}{job.company}")
                if job.location:
                    b.add(", ")
                    b.entity(job.location, "LOCATION")
                b.line()
            else:
                b.add("**")
                b.entity(job.title, "DESIGNATION")
                b.add(f"**{at}{job.company}")
                b.line(f" ({job.dates})" if rng.random() < 0.5 else f" · {job.dates}")
                if job.location:
                    b.add("_")
                    b.entity(job.location, "LOCATION")
                    b.line("_")
            self.bullets(job.bullets)

    def jobs_table(self) -> None:
        rng, b = self.rng, self.b
        self.heading("experience")
        markdown = rng.random() < 0.6
        if markdown:
            b.line("| Role | Company | Location | Period |")
            b.line("|---|---|---|---|")
        else:
            b.line("Role\tCompany\tLocation\tPeriod")
        for job in self.resume.jobs:
            b.add("| " if markdown else "")
            b.entity(job.title, "DESIGNATION")
            b.add(f" | {job.company} | " if markdown else f"\t{job.company}\t")
            if job.location:
                b.entity(job.location, "LOCATION")
            else:
                b.add("Remote")
            b.line(f" | {job.dates} |" if markdown else f"\t{job.dates}")
        for job in self.resume.jobs[:2]:
            self.bullets(job.bullets)

    def education(self) -> None:
        rng, b = self.rng, self.b
        if not self.resume.degrees:
            return
        self.heading("education")
        style = rng.randrange(4)
        for degree in self.resume.degrees:
            if style == 0:
                b.entity(degree.degree, "EDUCATION")
                b.add(", ")
                b.entity(degree.institution, "EDUCATION")
                b.line(f", {degree.year}")
            elif style == 1:
                b.entity(degree.degree, "EDUCATION")
                b.line()
                b.entity(degree.institution, "EDUCATION")
                if degree.location:
                    b.add(", ")
                    b.entity(degree.location, "LOCATION")
                b.line(f" ({degree.dates})")
            elif style == 2:
                b.add(f"{degree.year} – ")
                b.entity(degree.degree, "EDUCATION")
                b.add(" from " if self.language is ENGLISH else " — ")
                b.entity(degree.institution, "EDUCATION")
                b.line()
            else:
                b.entity(degree.institution, "EDUCATION")
                b.add(rng.choice(("\t", " — ", ", ")))
                b.line(degree.dates)
                b.add(self.bullet)
                b.entity(degree.degree, "EDUCATION")
                b.line(rng.choice(("", f" (GPA {rng.randrange(30, 40) / 10})", ", with honours")))

    def skills(self) -> None:
        rng, b = self.rng, self.b
        self.heading("skills")
        chosen = self.resume.skills
        style = rng.randrange(5)
        if style in (0, 1):
            separator = ", " if style == 0 else rng.choice((" | ", " · ", " / ", "; ", " • "))
            for i, skill in enumerate(chosen):
                if i:
                    b.add(separator)
                b.entity(skill, "SKILL")
            if self.resume.certifications and rng.random() < 0.4:
                # Written among the skills, a certification is still no SKILL.
                b.add(separator + self.resume.certifications[0])
            b.line()
        elif style == 2:
            for skill in chosen:
                b.add(self.bullet)
                b.entity(skill, "SKILL")
                b.line()
        elif style == 3:
            half = len(chosen) // 2
            for group, items in (
                (rng.choice(("Technical", "Tools", "Clinical", "Core", "Software")), chosen[:half]),
                (rng.choice(("Other", "Soft skills", "Methods", "Additional")), chosen[half:]),
            ):
                b.add(f"{group}: ")
                for i, skill in enumerate(items):
                    if i:
                        b.add(", ")
                    b.entity(skill, "SKILL")
                b.line()
        else:
            width = max(len(s) for s in chosen) + 3
            for i, skill in enumerate(chosen):
                b.entity(skill, "SKILL")
                if i % 3 == 2 or i == len(chosen) - 1:
                    b.line()
                else:
                    b.add(" " * (width - len(skill)))

    def extras(self) -> None:
        """Certifications, languages, interests, links and references (none are entities)."""
        rng, b, r = self.rng, self.b, self.resume
        if r.certifications:
            self.gap()
            self.heading("certifications")
            for certification in r.certifications:
                b.line(f"{self.bullet}{certification} ({rng.randrange(2012, 2025)})")
        if rng.random() < 0.25:
            self.gap()
            self.heading("courses")
            for course in rng.sample(COURSES, rng.randrange(1, 4)):
                b.line(f"{self.bullet}{course}{rng.choice(('', f', {rng.randrange(2012, 2025)}'))}")
        if rng.random() < 0.15:
            self.gap()
            self.heading("awards")
            for award in rng.sample(AWARDS, rng.randrange(1, 3)):
                b.line(f"{self.bullet}{award} ({rng.randrange(2008, 2025)})")
        if rng.random() < 0.5:
            self.gap()
            self.heading("languages")
            b.line(r.spoken)
        if rng.random() < 0.3:
            self.gap()
            self.heading("interests")
            b.line(", ".join(r.interests).capitalize())
        if rng.random() < 0.3:
            self.gap()
            b.line(" | ".join(r.links))
        if r.referees or rng.random() < 0.15:
            self.gap()
            self.heading("references")
            if not r.referees:
                b.line(rng.choice(self.language.references))
            for referee, title, company in r.referees:
                # Referees are other people: their names, titles, addresses and numbers are not
                # entities (the candidate's contact details are).
                prefix = rng.choice(("", "Dr. ", "Mr. ", "Ms. ", "Prof. "))
                b.line(f"{prefix}{referee.name}, {title}, {company}")
                b.add(referee.email)
                if rng.random() < 0.7:
                    b.add(f" | {referee.phone}")
                b.line()


def _sections(w: Writer, table: bool = False) -> None:
    rng = w.rng
    body: list[Callable[[], None]] = [w.jobs_table if table else w.jobs, w.skills, w.education]
    rng.shuffle(body)
    if rng.random() < 0.9:
        body.insert(0, w.summary)
    for section in body:
        w.gap()
        section()
    w.extras()


def plain(w: Writer) -> None:
    """Header, then summary, experience, skills and education in some order, then extras."""
    w.header()
    _sections(w)


def markdown(w: Writer) -> None:
    """A Markdown resume: ``#`` name, bold headline, ``##`` headings."""
    rng, b, r = w.rng, w.b, w.resume
    w.heading_style = 4
    b.add("# ")
    b.entity(r.candidate.name, "NAME")
    b.line()
    b.add("**")
    b.entity(r.headline, "DESIGNATION")
    b.add("**")
    if r.location:
        b.add(" — ")
        b.entity(r.location, "LOCATION")
    b.line()
    b.add(rng.choice(("📧 ", "✉ ", "Email: ", "")))
    b.entity(r.candidate.email, "EMAIL")
    if r.has("PHONE"):
        b.add(rng.choice((" · 📞 ", " | ☎ ", "  Phone: ", " | ")))
        b.entity(r.candidate.phone, "PHONE")
    b.line(f" · [{r.links[0]}](https://{r.links[0].removeprefix('https://')})")
    w.bullet = rng.choice(("- ", "* "))
    _sections(w)


def pdf_text(w: Writer) -> None:
    """Text as a PDF extractor gives it: lines broken near a width, words hyphenated, a page
    footer in the middle."""
    w.b.wrap_width = w.rng.randrange(55, 95)
    w.header()
    w.b.wrap_width = w.rng.randrange(55, 95)
    _sections(w)
    w.b.line()
    w.b.line(w.rng.choice(("Page 1 of 2", "1/2", "- 1 -", "Page 2")))


def table(w: Writer) -> None:
    """Experience as a table (Markdown pipes or tab-separated cells)."""
    w.header()
    _sections(w, table=True)


def two_columns(w: Writer) -> None:
    """Skills and education on the left, experience on the right, interleaved line by line as
    PDF text extraction reads two columns; the rest below."""
    rng, b, r = w.rng, w.b, w.resume
    w.header()
    w.gap()
    if rng.random() < 0.6:
        w.summary()
        w.gap()
    lang = w.language
    left: list[list[Piece]] = [[(rng.choice(lang.headings["skills"]).upper(), None)]]
    left += [[(skill, "SKILL")] for skill in r.skills[: rng.randrange(4, 10)]]
    if r.degrees:
        left += [[("", None)], [(rng.choice(lang.headings["education"]).upper(), None)]]
        for degree in r.degrees:
            left += [[(degree.degree, "EDUCATION")], [(degree.institution, "EDUCATION")]]
            left.append([(str(degree.year), None)])
    right: list[list[Piece]] = [[(rng.choice(lang.headings["experience"]).upper(), None)]]
    for job in r.jobs[:4]:
        right.append([(job.title, "DESIGNATION"), (f", {job.company}", None)])
        row: list[Piece] = [(job.dates, None)]
        if job.location:
            row += [(" | ", None), (job.location, "LOCATION")]
        right.append(row)
        for bullet in job.bullets[:2]:
            words: list[Piece] = [(w.bullet, None), *bullet]
            right.append(words)
    width = max(sum(len(text) for text, _ in cells) for cells in left) + rng.randrange(3, 9)
    for number in range(max(len(left), len(right))):
        used = 0
        for text, label in left[number] if number < len(left) else []:
            b.piece(text, label)
            used += len(text)
        if number < len(right):
            b.add(" " * (width - used))
            b.pieces(right[number])
        b.line()
    w.extras()


def europass(w: Writer) -> None:
    """The Europass CV: labelled personal information, dates in a left column, language grid."""
    rng, b, r = w.rng, w.b, w.resume
    b.line(rng.choice(("Europass Curriculum Vitae", "CURRICULUM VITAE", "europass")))
    w.gap()
    b.line(rng.choice(("PERSONAL INFORMATION", "Personal information")))
    b.entity(r.candidate.name, "NAME")
    b.line()
    if r.location:
        b.add(f"{w.career.fake.street_name()} {rng.randrange(1, 200)}, {w.career.fake.postcode()} ")
        b.entity(r.location, "LOCATION")
        b.line()
    if r.has("PHONE"):
        b.add(rng.choice(("☎ ", "Telephone ", "Mobile ")))
        b.entity(r.candidate.phone, "PHONE")
        b.line()
    b.add(rng.choice(("✉ ", "E-mail ", "Email ")))
    b.entity(r.candidate.email, "EMAIL")
    b.line()
    b.line(
        f"Date of birth {rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/"
        f"{rng.randrange(1965, 2001)} | {rng.choice(('Sex Female', 'Sex Male', 'Gender —'))}"
    )
    w.gap()
    b.add(rng.choice(("JOB APPLIED FOR\t", "POSITION\t", "PREFERRED JOB\t")))
    b.entity(r.headline, "DESIGNATION")
    b.line()
    w.gap()
    b.line("WORK EXPERIENCE")
    for job in r.jobs:
        b.add(f"{job.dates}\t")
        b.entity(job.title, "DESIGNATION")
        b.line()
        b.add(f"\t{job.company}")
        if job.location:
            b.add(", ")
            b.entity(job.location, "LOCATION")
        b.line()
        w.bullet = "▪ "
        w.bullets(job.bullets)
    if r.degrees:
        w.gap()
        b.line("EDUCATION AND TRAINING")
        for degree in r.degrees:
            b.add(f"{degree.dates}\t")
            b.entity(degree.degree, "EDUCATION")
            b.line(f"\tEQF level {rng.randrange(4, 9)}")
            b.add("\t")
            b.entity(degree.institution, "EDUCATION")
            b.line()
    w.gap()
    b.line("PERSONAL SKILLS")
    b.line(f"Mother tongue(s)\t{r.spoken.split(',')[0].split('(')[0].strip()}")
    b.line("Other language(s)\tUNDERSTANDING\tSPEAKING\tWRITING")
    levels = ("A2", "B1", "B2", "C1", "C2")
    b.line(f"English\t{rng.choice(levels)}\t{rng.choice(levels)}\t{rng.choice(levels)}")
    b.add("Job-related skills\t")
    for i, skill in enumerate(r.skills):
        if i:
            b.add(", ")
        b.entity(skill, "SKILL")
    b.line()
    b.line(f"Driving licence\t{rng.choice(('B', 'B, C1', 'AM, B'))}")


def linkedin(w: Writer) -> None:
    """A LinkedIn profile saved as PDF: contact and top skills first, durations beside dates."""
    rng, b, r = w.rng, w.b, w.resume
    b.line("Contact")
    b.entity(r.candidate.email, "EMAIL")
    b.line()
    if r.has("PHONE"):
        b.entity(r.candidate.phone, "PHONE")
        b.line(" (Mobile)")
    b.line(f"{r.links[0].removeprefix('https://')} (LinkedIn)")
    b.line("Top Skills")
    for skill in r.skills[:3]:
        b.entity(skill, "SKILL")
        b.line()
    b.line("Languages")
    for spoken in r.spoken.split(","):
        b.line(spoken.strip())
    if r.certifications:
        b.line("Certifications")
        for certification in r.certifications:
            b.line(certification)
    b.entity(r.candidate.name, "NAME")
    b.line()
    b.entity(r.headline, "DESIGNATION")
    b.add(f" at {r.jobs[0].company}")
    if rng.random() < 0.5:
        b.add(" | ")
        b.entity(r.skills[-1], "SKILL")
    b.line()
    if r.location:
        b.entity(r.location, "LOCATION")
        b.line()
    b.line("Summary")
    b.pieces(r.summary)
    b.line()
    b.line("Experience")
    for job in r.jobs:
        b.line(job.company)
        b.entity(job.title, "DESIGNATION")
        b.line()
        years, months = rng.randrange(0, 6), rng.randrange(1, 12)
        length = f"{years} year{'s' * (years != 1)} {months} month{'s' * (months != 1)}"
        b.line(f"{job.dates} ({length.removeprefix('0 years ')})")
        if job.location:
            b.entity(job.location, "LOCATION")
            b.line()
        for bullet in job.bullets:
            b.pieces(bullet)
            b.line()
        b.line()
    if r.degrees:
        b.line("Education")
        for degree in r.degrees:
            b.entity(degree.institution, "EDUCATION")
            b.line()
            b.entity(degree.degree, "EDUCATION")
            b.line(f" · ({degree.year - rng.randrange(2, 5)} - {degree.year})")
    b.line(f"Page {rng.randrange(1, 3)} of {rng.randrange(3, 5)}")


def academic(w: Writer) -> None:
    """An academic CV: appointments, education with thesis and advisor, publications with
    co-authors (other people, never entities), teaching and grants."""
    rng, b, r, fake = w.rng, w.b, w.resume, w.career.fake
    titles = rng.sample(ACADEMIC_TITLES, 4)
    b.line("CURRICULUM VITAE")
    b.entity(r.candidate.name, "NAME")
    b.line(rng.choice(("", ", PhD", ", Ph.D.")))
    b.entity(titles[0], "DESIGNATION")
    b.line()
    b.line(f"Department of {rng.choice(DEPARTMENTS)}")
    w.contact_line()
    w.gap()
    b.line("ACADEMIC APPOINTMENTS")
    for job, title in zip(r.jobs[:3], titles, strict=False):
        b.add(f"{job.dates}\t")
        b.entity(title, "DESIGNATION")
        b.add(f", {job.company}")
        if job.location:
            b.add(", ")
            b.entity(job.location, "LOCATION")
        b.line()
    if r.degrees:
        w.gap()
        w.heading("education")
        for degree in r.degrees:
            b.entity(degree.degree, "EDUCATION")
            b.add(", ")
            b.entity(degree.institution, "EDUCATION")
            b.line(f", {degree.year}")
            b.line(f'\tThesis: "{fake.catch_phrase()}". Advisor: Prof. {fake.name()}')
    w.gap()
    b.line("PUBLICATIONS")
    for number in range(rng.randrange(2, 6)):
        authors = ", ".join(
            f"{fake.last_name()}, {fake.first_name()[0]}." for _ in range(rng.randrange(1, 4))
        )
        b.line(
            f"{number + 1}. {authors} et al. ({rng.randrange(2008, 2025)}). {fake.catch_phrase()}. "
            f"Journal of {fake.bs().title()}, {rng.randrange(1, 60)}({rng.randrange(1, 12)}), "
            f"{rng.randrange(1, 400)}–{rng.randrange(400, 900)}. doi:10.{rng.randrange(1000, 9999)}/"
            f"j.{rng.randrange(100000, 999999)}"
        )
    w.gap()
    b.line("TEACHING")
    for _ in range(rng.randrange(1, 4)):
        b.line(
            f"{w.bullet}{fake.bs().capitalize()} (undergraduate, {rng.randrange(20, 200)} students)"
        )
    w.gap()
    b.line("GRANTS AND AWARDS")
    b.line(
        f"{w.bullet}{fake.company()} Research Grant, {rng.choice(('$', '€', '£'))}{rng.randrange(10, 500)},000 ({rng.randrange(2012, 2025)})"
    )
    w.gap()
    w.skills()


#: The layouts by name, with their weight in a generated corpus.
LAYOUTS: dict[str, tuple[Callable[[Writer], None], float]] = {
    "plain": (plain, 5),
    "markdown": (markdown, 1.5),
    "pdf_text": (pdf_text, 1.5),
    "table": (table, 0.8),
    "two_columns": (two_columns, 0.8),
    "europass": (europass, 0.7),
    "linkedin": (linkedin, 0.8),
    "academic": (academic, 0.4),
}
