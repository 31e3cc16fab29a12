# ruff: noqa: RUF001  (en dashes are part of the resume text written here)
"""The wording of a resume in each language it is written in: headings, labels, dates, degrees,
institutions, experience phrases and the sentences of summaries and bullet points.

Templates are filled by :meth:`resume_ner.data.generator.career.Career.fill`: ``{verb}``,
``{verb_lower}``, ``{object}``, ``{n}``, ``{pct}``, ``{money}``, ``{company}``, ``{product}``,
``{word}`` are ordinary text,
``{skill}`` (``SKILL``), ``{designation}`` (``DESIGNATION``), ``{experience}``
(``EXPERIENCE``) and ``{location}`` (``LOCATION``) are entities.
"""

from __future__ import annotations

from dataclasses import dataclass


def _split(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(";") if item.strip())


@dataclass(frozen=True)
class Language:
    """Everything written in one language (``code`` is ISO 639-1)."""

    code: str
    headings: dict[str, tuple[str, ...]]
    #: Words before a value in a header: email, phone, location, name, links.
    labels: dict[str, tuple[str, ...]]
    months: tuple[str, ...]
    present: tuple[str, ...]
    degrees: tuple[str, ...]
    #: Institution names; ``{city}`` is a city name, ``{surname}`` a family name.
    institutions: tuple[str, ...]
    #: ``{n}`` is a number, ``{w}`` a number word.
    experience: tuple[str, ...]
    number_words: tuple[str, ...]
    summaries: tuple[str, ...]
    bullets: tuple[str, ...]
    verbs: tuple[str, ...]
    #: Ordinary objects of bullets in this language (English ones come from the profession).
    objects: tuple[str, ...]
    #: Spoken-language lines (never entities).
    spoken: tuple[str, ...]
    interests: tuple[str, ...]
    references: tuple[str, ...]
    #: Separators between a job title and its company (" at ", " bei ", ", " ...).
    at: tuple[str, ...]
    #: Job titles as written in the language (beside faker's locale jobs).
    titles: tuple[str, ...] = ()


ENGLISH = Language(
    "en",
    headings={
        "summary": _split(
            "Summary; Professional Summary; Profile; About Me; Career Objective; "
            "Personal Statement; Professional Profile; Overview"
        ),
        "experience": _split(
            "Experience; Work Experience; Professional Experience; "
            "Employment History; Career History; Relevant Experience"
        ),
        "education": _split(
            "Education; Academic Background; Education and Training; "
            "Qualifications; Academic Qualifications"
        ),
        "skills": _split(
            "Skills; Technical Skills; Core Competencies; Key Skills; "
            "Areas of Expertise; Skills & Tools"
        ),
        "certifications": _split(
            "Certifications; Licenses & Certifications; Certificates; "
            "Professional Development; Training"
        ),
        "languages": _split("Languages; Language Skills"),
        "interests": _split("Interests; Hobbies; Hobbies and Interests; Outside Work"),
        "references": _split("References; Referees"),
        "projects": _split("Projects; Selected Projects; Key Projects; Volunteering"),
        "courses": _split("Courses; Relevant Coursework; Online Courses"),
        "awards": _split("Awards; Honours and Awards; Achievements"),
    },
    labels={
        "email": _split("Email; E-mail; Mail; Email address"),
        "phone": _split("Phone; Mobile; Tel.; Cell; Telephone; Contact"),
        "location": _split("Location; Address; City; Based in; Home"),
        "name": _split("Name; Full name"),
        "links": _split("LinkedIn; Portfolio; GitHub; Website"),
    },
    months=_split(
        "January; February; March; April; May; June; July; August; September; "
        "October; November; December"
    ),
    present=_split("Present; present; Current; Now; to date"),
    degrees=_split(
        "Bachelor of Science in Computer Science; B.Sc. Mathematics; BA (Hons) English "
        "Literature; Bachelor of Arts in History; Master of Business Administration (MBA); "
        "MBA; M.Sc. Data Science; MSc Mechanical Engineering; Bachelor of Laws (LL.B.); "
        "Juris Doctor (J.D.); LL.M. in International Law; Bachelor of Science in Nursing "
        "(BSN); Diploma of Nursing; Master of Science in Nursing; Bachelor of Commerce; "
        "B.Com. Accounting; Bachelor of Engineering (Civil); B.Tech. Electronics; "
        "M.Tech. Computer Science; B.E. Mechanical Engineering; PhD in Physics; Ph.D. "
        "Molecular Biology; Doctor of Medicine (MD); MBBS; Bachelor of Education (B.Ed.); "
        "PGCE Secondary Mathematics; Master of Education; Associate of Applied Science; "
        "High School Diploma; A-Levels; HND Hospitality Management; BSc Hospitality "
        "Management; Bachelor of Fine Arts; MA Graphic Design; Master of Public Health; "
        "Bachelor of Pharmacy; Doctor of Pharmacy (PharmD); BSc Economics; MSc Finance; "
        "Master of Accountancy; Bachelor of Business Administration; Diploma in Electrical "
        "Installation; City & Guilds Level 3 Diploma in Plumbing; Master of Laws; "
        "BSc (Hons) Psychology; MEng Electrical and Electronic Engineering"
    ),
    institutions=_split(
        "University of {city}; {city} State University; {city} University; {surname} "
        "College; {city} Institute of Technology; {surname} University; University College "
        "{city}; {city} Community College; {city} School of Law; {city} Business School; "
        "{city} Medical College; Royal {city} Polytechnic; St. {surname}'s College; "
        "{city} College of Nursing; Indian Institute of Technology {city}; {city} "
        "Technical College"
    ),
    experience=_split(
        "{n}+ years of experience; {n} years of experience; over {n} years of experience; "
        "more than {n} years of industry experience; {w} years of experience; "
        "{n}+ years; nearly {n} years of hands-on experience; {n} years' experience; "
        "over a decade; more than a decade of experience; {n}+ yrs of experience; "
        "{w}+ years of professional experience"
    ),
    number_words=_split("two; three; four; five; six; seven; eight; nine; ten; twelve; fifteen"),
    summaries=_split(
        "{designation} with {experience} in {skill} and {skill}. Known for {word} work, "
        "calm under pressure and happy to mentor new people.;"
        "Results-driven {designation} with {experience}, most recently at {company}. I "
        "{verb} {object} and care about {skill}.;"
        "{experience} as a {designation} across {n} organisations, strongest in {skill}, "
        "{skill} and {skill}.;"
        "Dedicated {designation} looking for a new challenge in a {word} team. Comfortable "
        "with {skill} and {skill}.;"
        "Experienced {designation} ({experience}) who has {verb} {object} for {n} years and "
        "reduced costs by {pct}.;"
        "I am a {designation} with {experience}. Outside work I volunteer and coach a "
        "local youth team.;"
        "Bilingual {designation} with {experience} in fast-paced environments: "
        "{skill}, {skill} and a strong sense of ownership.;"
        "Compassionate and hard-working {designation} with {experience}. I enjoy solving "
        "problems, learning new things and helping people around me.;"
        "Highly motivated {designation} seeking a challenging role where I can grow. "
        "Excellent communication skills and a good eye for detail.;"
        "Organised, friendly and reliable. {experience} in {skill}, {skill} and {skill}; "
        "worked with clients from small shops to large public bodies.;"
        "Over the last {n} years I have {verb_lower} {object} and {object} for {company} "
        "and others. Looking to bring my experience as a {designation} to a new team.;"
        "{designation} and former team lead. {experience}, a track record of meeting "
        "targets, and a calm, practical way of working with people under pressure."
    ),
    bullets=_split(
        "{verb} {object} for {n} clients, improving turnaround by {pct};"
        "Managed a team of {n} people across {n} sites;"
        "Led a cross-functional team of {n} people;"
        "Handled {n}+ calls per day from {object} and resolved {pct} on first contact;"
        "{verb} {object} using {skill}, cutting costs by {money} per year;"
        "Grew net revenue by {pct} in {n} months by reworking {object};"
        "{verb} new {object} with {company}, worth {money};"
        "Trained {n} new staff on {skill} and {skill};"
        "{verb} {object} and {object} in line with company policy;"
        "Worked closely with {company} to deliver {object} on time and under budget;"
        "Reduced {object} by {pct} through better planning;"
        "Prepared the weekly report for senior management;"
        "{verb} {object} for the {product} project ({n} users);"
        "Responsible for {object}, {object} and day-to-day {object};"
        "Achieved {pct} customer satisfaction over {n} quarters;"
        "{verb} {object} with {skill}, then {verb_lower} {object} as needed;"
        "Supported the launch of {product}, used by {n},000 customers;"
        "{verb} {n} {object} a month with zero safety incidents;"
        "Promoted after {n} months for improving {object};"
        "Covered for the manager during leave and {verb_lower} {object};"
        "Introduced a new process for {object} that saved {n} hours a week"
    ),
    verbs=_split(
        "Managed; Led; Built; Designed; Developed; Delivered; Improved; Reduced; Increased; "
        "Launched; Coordinated; Organised; Supervised; Trained; Mentored; Negotiated; "
        "Prepared; Reviewed; Implemented; Maintained; Streamlined; Automated; Created; "
        "Planned; Oversaw; Handled; Processed; Resolved; Drafted; Audited; Analysed; "
        "Monitored; Scheduled; Introduced; Rebuilt; Migrated; Ran; Supported; Advised; "
        "Presented; Wrote; Tested; Inspected; Installed; Repaired; Served; Taught; "
        "Assessed; Documented; Secured; Expanded; Standardised; Owned; Tracked; "
        "Administered; Assisted; Collaborated on; Conducted; Consolidated; Coached; Drove; "
        "Enhanced; Established; Evaluated; Executed; Facilitated; Forecast; Generated; "
        "Guided; Identified; Initiated; Integrated; Interviewed; Investigated; Liaised on; "
        "Modernised; Operated; Optimised; Orchestrated; Pioneered; Produced; Recruited; "
        "Redesigned; Refined; Reorganised; Reported on; Restructured; Revamped; Shaped; "
        "Simplified; Spearheaded; Strengthened; Surveyed; Transformed; Upgraded; Verified; "
        "Won; Diagnosed; Treated; Counselled; Tutored; Graded; Prepared; Checked; Cleaned; "
        "Welcomed; Answered; Sorted; Stocked; Closed; Opened; Booked; Signed"
    ),
    objects=(),
    spoken=_split(
        "English (native), Spanish (B2); English – fluent; French (conversational); German "
        "(basic); Portuguese (C1), English (C2); Hindi, English, Tamil; Mandarin (HSK 4); "
        "Italian (A2)"
    ),
    interests=_split(
        "hiking; chess; photography; marathon running; cooking; volunteering; cycling; "
        "reading; football; yoga; gardening; board games; travel; painting; piano; swimming"
    ),
    references=_split("Available upon request.; References available on request."),
    at=(" at ", ", ", " | ", " — ", " @ "),
)

PORTUGUESE = Language(
    "pt",
    headings={
        "summary": _split("Resumo; Perfil Profissional; Sobre mim; Objetivo"),
        "experience": _split("Experiência Profissional; Experiência; Histórico Profissional"),
        "education": _split("Formação Acadêmica; Formação; Educação; Escolaridade"),
        "skills": _split("Competências; Habilidades; Conhecimentos Técnicos"),
        "certifications": _split("Certificações; Cursos e Certificações"),
        "languages": _split("Idiomas; Línguas"),
        "interests": _split("Interesses; Atividades"),
        "references": _split("Referências"),
        "projects": _split("Projetos; Voluntariado"),
        "courses": _split("Cursos Complementares; Cursos"),
        "awards": _split("Prêmios"),
    },
    labels={
        "email": _split("E-mail; Email"),
        "phone": _split("Telefone; Celular; Tel.; Telemóvel"),
        "location": _split("Endereço; Cidade; Localização; Morada"),
        "name": _split("Nome; Nome completo"),
        "links": _split("LinkedIn; Portfólio"),
    },
    months=_split(
        "janeiro; fevereiro; março; abril; maio; junho; julho; agosto; setembro; "
        "outubro; novembro; dezembro"
    ),
    present=_split("atual; o momento; Atual; presente"),
    degrees=_split(
        "Bacharelado em Ciência da Computação; Bacharelado em Direito; Licenciatura em "
        "Enfermagem; Graduação em Administração; Tecnólogo em Análise e Desenvolvimento de "
        "Sistemas; MBA em Gestão de Projetos; Mestrado em Engenharia Civil; Doutorado em "
        "Física; Licenciatura em Gestão; Mestrado em Contabilidade; Pós-graduação em "
        "Marketing Digital; Ensino Médio; Bacharelado em Ciências Contábeis; Licenciatura "
        "em Pedagogia; Técnico em Eletrotécnica"
    ),
    institutions=_split(
        "Universidade de {city}; Universidade Federal de {city}; Universidade Estadual de "
        "{city}; Instituto Politécnico de {city}; Faculdade {surname}; Pontifícia "
        "Universidade Católica de {city}; Universidade Nova de {city}; Centro Universitário "
        "{surname}; Instituto Federal de {city}"
    ),
    experience=_split(
        "mais de {n} anos de experiência; {n} anos de experiência; {n}+ anos de "
        "experiência; cerca de {n} anos de experiência profissional; mais de uma década"
    ),
    number_words=_split("dois; três; quatro; cinco; seis; sete; oito; nove; dez"),
    summaries=_split(
        "{designation} com {experience} em {skill} e {skill}. Busco novos desafios em uma "
        "empresa que valorize pessoas e resultados.;"
        "Profissional com {experience} como {designation}, com foco em {skill}, {skill} e "
        "melhoria contínua de processos.;"
        "Sou {designation} e trabalho com {skill} há {n} anos. Tenho facilidade de "
        "comunicação e gosto de trabalhar em equipe."
    ),
    bullets=_split(
        "{verb} uma equipe de {n} pessoas em {n} unidades;"
        "{verb} processos de {object} com {skill}, reduzindo custos em {pct};"
        "Atendimento a clientes por telefone e e-mail, com média de {n} chamadas por dia;"
        "{verb} o orçamento anual de {money} da área;"
        "Responsável pela gestão de {object} e pelo relacionamento com a {company};"
        "{verb} novos {object} e treinamento de {n} colaboradores;"
        "Aumento de {pct} nas vendas em {n} meses;"
        "{verb} relatórios mensais para a diretoria;"
        "Atendimento ao público e suporte à equipe de vendas em {n} lojas da rede;"
        "Participação em projetos de melhoria contínua com redução de {pct} no retrabalho;"
        "Controle de {object} e emissão de notas fiscais;"
        "{verb} a implantação de um novo sistema de gestão em parceria com a {company};"
        "Acompanhamento de indicadores de desempenho e elaboração de planos de ação;"
        "Responsável pelo treinamento de novos funcionários e pela rotina do setor;"
        "Contato diário com clientes, fornecedores e parceiros de negócio;"
        "Apoio à coordenação em auditorias internas e externas"
    ),
    verbs=_split(
        "Gerenciei; Liderei; Desenvolvi; Implantei; Coordenei; Organizei; Elaborei; "
        "Supervisionei; Treinei; Negociei; Acompanhei; Realizei; Criei; Melhorei; Apoiei"
    ),
    objects=_split(
        "contratos; fornecedores; pedidos; projetos; relatórios; indicadores; processos; "
        "clientes; estoques; pacientes; plantões; auditorias; campanhas; sistemas; turmas; "
        "documentos; compras; pagamentos; obras; equipamentos; prontuários; vendas; rotas"
    ),
    spoken=_split(
        "Português (nativo), Inglês (avançado); Inglês – intermediário; Espanhol "
        "(fluente), Inglês (B2)"
    ),
    interests=_split("futebol; leitura; corrida; fotografia; música; viagens; culinária"),
    references=_split("Referências disponíveis mediante solicitação."),
    at=(" na ", " em ", ", ", " | ", " – "),
    titles=_split(
        "Analista de Sistemas; Enfermeira; Enfermeiro; Advogada; Advogado; Contadora; Engenheiro Civil; Professora de Matemática; Gerente de Vendas; Assistente Administrativo; Desenvolvedor de Software; Analista Financeiro Sênior; Técnica de Enfermagem; Coordenadora de Logística; Eletricista; Cozinheiro; Recepcionista; Designer Gráfico; Analista de Recursos Humanos"
    ),
)

SPANISH = Language(
    "es",
    headings={
        "summary": _split("Perfil; Perfil Profesional; Resumen; Sobre mí; Objetivo"),
        "experience": _split("Experiencia Laboral; Experiencia Profesional; Experiencia"),
        "education": _split("Formación Académica; Educación; Formación"),
        "skills": _split("Habilidades; Competencias; Conocimientos"),
        "certifications": _split("Certificaciones; Cursos y Certificaciones"),
        "languages": _split("Idiomas"),
        "interests": _split("Intereses; Aficiones"),
        "references": _split("Referencias"),
        "projects": _split("Proyectos; Voluntariado"),
        "courses": _split("Cursos; Formación Complementaria"),
        "awards": _split("Premios; Logros"),
    },
    labels={
        "email": _split("Correo; Email; Correo electrónico"),
        "phone": _split("Teléfono; Móvil; Tel.; Celular"),
        "location": _split("Dirección; Ciudad; Ubicación; Residencia"),
        "name": _split("Nombre; Nombre completo"),
        "links": _split("LinkedIn; Web"),
    },
    months=_split(
        "enero; febrero; marzo; abril; mayo; junio; julio; agosto; septiembre; "
        "octubre; noviembre; diciembre"
    ),
    present=_split("actualidad; Actualidad; presente; hoy"),
    degrees=_split(
        "Grado en Ingeniería Informática; Licenciatura en Derecho; Grado en Enfermería; "
        "Licenciatura en Administración de Empresas; Máster en Dirección de Proyectos; "
        "Máster Universitario en Ciencia de Datos; Doctorado en Química; Grado en "
        "Magisterio de Educación Primaria; Técnico Superior en Cocina y Gastronomía; "
        "Licenciatura en Contaduría Pública; Ingeniería Civil; Bachillerato"
    ),
    institutions=_split(
        "Universidad de {city}; Universidad Politécnica de {city}; Universidad Autónoma de "
        "{city}; Instituto Tecnológico de {city}; Universidad Complutense de Madrid; "
        "Universidad {surname}; Escuela de Negocios de {city}; Universidad Nacional de {city}"
    ),
    experience=_split(
        "más de {n} años de experiencia; {n} años de experiencia; {n}+ años de "
        "experiencia; casi {n} años de experiencia profesional; más de una década"
    ),
    number_words=_split("dos; tres; cuatro; cinco; seis; siete; ocho; nueve; diez"),
    summaries=_split(
        "{designation} con {experience} en {skill} y {skill}. Persona organizada, con "
        "buena comunicación y ganas de aprender.;"
        "Profesional con {experience} como {designation}, experto en {skill}, {skill} y "
        "gestión de equipos.;"
        "Soy {designation} y busco un nuevo reto en una empresa del sector."
    ),
    bullets=_split(
        "{verb} un equipo de {n} personas;"
        "{verb} {object} con {skill}, reduciendo costes un {pct};"
        "Atención al cliente por teléfono y correo, unas {n} llamadas al día;"
        "{verb} el presupuesto anual de {money};"
        "Responsable de {object} y de la relación con {company};"
        "Aumento de las ventas del {pct} en {n} meses;"
        "{verb} informes mensuales para la dirección;"
        "Atención al público y apoyo al equipo comercial en {n} tiendas;"
        "Participación en proyectos de mejora continua con una reducción del {pct} de errores;"
        "Control de {object} y emisión de facturas;"
        "{verb} la implantación de un nuevo sistema de gestión junto con {company};"
        "Seguimiento de indicadores y elaboración de planes de acción;"
        "Formación de nuevos empleados y organización de los turnos del equipo"
    ),
    verbs=_split(
        "Gestioné; Dirigí; Desarrollé; Implanté; Coordiné; Organicé; Elaboré; Supervisé; "
        "Formé; Negocié; Realicé; Diseñé; Mejoré"
    ),
    objects=_split(
        "contratos; proveedores; pedidos; proyectos; informes; procesos; clientes; "
        "inventarios; pacientes; turnos; auditorías; campañas; sistemas; grupos"
    ),
    spoken=_split("Español (nativo), Inglés (C1); Inglés – avanzado; Francés (B1), Inglés (B2)"),
    interests=_split("fútbol; lectura; senderismo; fotografía; música; viajes; cocina"),
    references=_split("Referencias disponibles a petición."),
    at=(" en ", ", ", " | ", " – "),
    titles=_split(
        "Ingeniero de Software; Enfermera; Abogado; Abogada; Contable; Ingeniera Civil; Profesora de Primaria; Jefe de Ventas; Auxiliar Administrativo; Desarrolladora Web; Analista Financiero; Técnico de Mantenimiento; Coordinadora de Logística; Electricista; Cocinero; Recepcionista; Diseñadora Gráfica; Gerente de Proyectos"
    ),
)

FRENCH = Language(
    "fr",
    headings={
        "summary": _split("Profil; Résumé; À propos; Objectif professionnel"),
        "experience": _split("Expérience professionnelle; Expériences; Parcours professionnel"),
        "education": _split("Formation; Diplômes; Études"),
        "skills": _split("Compétences; Compétences techniques; Savoir-faire"),
        "certifications": _split("Certifications; Habilitations"),
        "languages": _split("Langues"),
        "interests": _split("Centres d'intérêt; Loisirs"),
        "references": _split("Références"),
        "projects": _split("Projets; Bénévolat"),
        "courses": _split("Formations complémentaires"),
        "awards": _split("Distinctions"),
    },
    labels={
        "email": _split("E-mail; Courriel; Mail"),
        "phone": _split("Téléphone; Tél.; Portable; Mobile"),
        "location": _split("Adresse; Ville; Localisation"),
        "name": _split("Nom; Nom et prénom"),
        "links": _split("LinkedIn; Site web"),
    },
    months=_split(
        "janvier; février; mars; avril; mai; juin; juillet; août; septembre; "
        "octobre; novembre; décembre"
    ),
    present=_split("aujourd'hui; Aujourd'hui; présent; en cours"),
    degrees=_split(
        "Licence en Informatique; Master en Droit des affaires; Diplôme d'État d'infirmier; "
        "Master Finance; BTS Management des Unités Commerciales; DUT Génie Civil; Diplôme "
        "d'ingénieur; Doctorat en Chimie; Licence Sciences de l'éducation; Baccalauréat "
        "scientifique; CAP Cuisine; Master Marketing Digital"
    ),
    institutions=_split(
        "Université de {city}; Université Paris-Saclay; École Polytechnique; École "
        "Centrale de {city}; Institut National des Sciences Appliquées de {city}; IUT de "
        "{city}; Lycée {surname}; École Supérieure de Commerce de {city}"
    ),
    experience=_split(
        "plus de {n} ans d'expérience; {n} ans d'expérience; {n}+ ans d'expérience; près de "
        "{n} ans d'expérience professionnelle; plus de dix ans d'expérience"
    ),
    number_words=_split("deux; trois; quatre; cinq; six; sept; huit; neuf; dix"),
    summaries=_split(
        "{designation} avec {experience} en {skill} et {skill}. Rigoureux, curieux et à "
        "l'écoute des équipes.;"
        "{designation} depuis {n} ans ({experience}), je recherche un nouveau poste où "
        "mettre à profit mes compétences en {skill}.;"
        "Professionnel avec {experience} comme {designation}, spécialisé en {skill}."
    ),
    bullets=_split(
        "{verb} une équipe de {n} personnes;"
        "{verb} les {object} avec {skill}, réduction des coûts de {pct};"
        "Accueil et conseil des clients, environ {n} appels par jour;"
        "{verb} le budget annuel de {money};"
        "Responsable des {object} et du suivi des {object};"
        "Hausse du chiffre d'affaires de {pct} en {n} mois;"
        "{verb} des rapports mensuels pour la direction;"
        "Accueil du public et soutien à l'équipe commerciale dans {n} magasins;"
        "Participation à des projets d'amélioration continue, avec {pct} d'erreurs en moins;"
        "Suivi des {object} et de la facturation;"
        "{verb} la mise en place d'un nouvel outil de gestion avec {company};"
        "Formation des nouveaux collaborateurs et organisation des plannings"
    ),
    verbs=_split(
        "Géré; Encadré; Développé; Mis en place; Coordonné; Organisé; Rédigé; Supervisé; "
        "Formé; Négocié; Réalisé; Conçu; Amélioré"
    ),
    objects=_split(
        "contrats; fournisseurs; commandes; projets; rapports; processus; clients; stocks; "
        "patients; plannings; audits; campagnes; dossiers; élèves"
    ),
    spoken=_split(
        "Français (langue maternelle), Anglais (C1); Anglais – courant; Espagnol "
        "(B1), Allemand (A2)"
    ),
    interests=_split("randonnée; lecture; course à pied; photographie; musique; voyages"),
    references=_split("Références sur demande."),
    at=(" chez ", ", ", " | ", " – "),
    titles=_split(
        "Ingénieur logiciel; Infirmière; Avocat; Avocate; Comptable; Ingénieur civil; Professeure des écoles; Responsable commercial; Assistante administrative; Développeur web; Analyste financier; Technicien de maintenance; Chef de projet; Électricien; Cuisinier; Réceptionniste; Graphiste; Chargée de recrutement"
    ),
)

GERMAN = Language(
    "de",
    headings={
        "summary": _split("Profil; Kurzprofil; Über mich; Zusammenfassung"),
        "experience": _split("Berufserfahrung; Beruflicher Werdegang; Praxiserfahrung"),
        "education": _split("Ausbildung; Bildungsweg; Studium und Ausbildung"),
        "skills": _split("Kenntnisse; Fähigkeiten; Kompetenzen; IT-Kenntnisse"),
        "certifications": _split("Zertifikate; Weiterbildungen"),
        "languages": _split("Sprachen; Sprachkenntnisse"),
        "interests": _split("Interessen; Hobbys"),
        "references": _split("Referenzen"),
        "projects": _split("Projekte; Ehrenamt"),
        "courses": _split("Fortbildungen; Kurse"),
        "awards": _split("Auszeichnungen"),
    },
    labels={
        "email": _split("E-Mail; Mail"),
        "phone": _split("Telefon; Tel.; Mobil; Handy"),
        "location": _split("Adresse; Wohnort; Anschrift; Standort"),
        "name": _split("Name; Vor- und Nachname"),
        "links": _split("LinkedIn; XING; Webseite"),
    },
    months=_split(
        "Januar; Februar; März; April; Mai; Juni; Juli; August; September; "
        "Oktober; November; Dezember"
    ),
    present=_split("heute; Heute; laufend; dato"),
    degrees=_split(
        "Bachelor of Science Informatik; Master of Science Maschinenbau; Staatsexamen "
        "Rechtswissenschaften; Diplom-Kaufmann; Ausbildung zur Pflegefachfrau; "
        "Ausbildung zum Elektroniker für Energie- und Gebäudetechnik; Meister im "
        "Elektrotechniker-Handwerk; Promotion in Chemie; Bachelor Betriebswirtschaftslehre; "
        "Master of Education; Abitur; Diplom-Ingenieur (FH) Bauingenieurwesen"
    ),
    institutions=_split(
        "Universität {city}; Technische Universität {city}; Hochschule {city}; "
        "Ludwig-Maximilians-Universität München; Fachhochschule {city}; Berufsschule "
        "{city}; {surname}-Gymnasium; Hochschule für Wirtschaft und Recht {city}"
    ),
    experience=_split(
        "über {n} Jahre Berufserfahrung; {n} Jahre Berufserfahrung; mehr als {n} Jahren "
        "Erfahrung; {n}+ Jahre Erfahrung; über zehn Jahre Erfahrung"
    ),
    number_words=_split("zwei; drei; vier; fünf; sechs; sieben; acht; neun; zehn"),
    summaries=_split(
        "{designation} mit {experience} in {skill} und {skill}. Zuverlässig, "
        "teamfähig und lösungsorientiert.;"
        "Als {designation} bringe ich {experience} mit, vor allem in {skill}.;"
        "Erfahrener {designation} ({experience}) mit Schwerpunkt {skill} und {skill}."
    ),
    bullets=_split(
        "{verb} eines Teams von {n} Mitarbeitenden;"
        "{verb} der {object} mit {skill}, Kosten um {pct} gesenkt;"
        "Betreuung von Kunden per Telefon und E-Mail, rund {n} Anrufe pro Tag;"
        "{verb} des Jahresbudgets von {money};"
        "Verantwortlich für {object} und die Zusammenarbeit mit {company};"
        "Umsatzsteigerung um {pct} in {n} Monaten;"
        "{verb} monatlicher Berichte für die Geschäftsführung;"
        "Beratung von Kunden und Unterstützung des Vertriebs in {n} Filialen;"
        "Mitarbeit an Projekten zur Prozessverbesserung, {pct} weniger Fehler;"
        "Pflege der {object} und Erstellung von Rechnungen;"
        "{verb} eines neuen Warenwirtschaftssystems gemeinsam mit {company};"
        "Einarbeitung neuer Kolleginnen und Kollegen und Planung der Schichten"
    ),
    verbs=_split(
        "Leitung; Aufbau; Entwicklung; Einführung; Koordination; Organisation; Erstellung; "
        "Betreuung; Schulung; Verhandlung; Planung; Steuerung; Optimierung"
    ),
    objects=_split(
        "Verträge; Lieferanten; Aufträge; Projekte; Berichte; Prozesse; Kunden; Bestände; "
        "Patienten; Dienstpläne; Audits; Kampagnen; Anlagen; Schüler"
    ),
    spoken=_split(
        "Deutsch (Muttersprache), Englisch (C1); Englisch – verhandlungssicher; "
        "Französisch (B1), Englisch (B2)"
    ),
    interests=_split("Wandern; Lesen; Laufen; Fotografie; Musik; Reisen; Radfahren"),
    references=_split("Referenzen auf Anfrage."),
    at=(" bei ", ", ", " | ", " – "),
    titles=_split(
        "Softwareentwickler; Pflegefachfrau; Rechtsanwalt; Rechtsanwältin; Buchhalterin; Bauingenieur; Grundschullehrerin; Vertriebsleiter; Kaufmännische Angestellte; Webentwicklerin; Finanzanalyst; Servicetechniker; Projektleiterin; Elektriker; Koch; Rezeptionistin; Grafikdesigner; Personalreferentin"
    ),
)

#: Every language a whole resume is written in, by code.
LANGUAGES: dict[str, Language] = {
    language.code: language for language in (ENGLISH, PORTUGUESE, SPANISH, FRENCH, GERMAN)
}
