# ruff: noqa: RUF001  (en dashes are part of the resume text written here)
"""Professions: the skills, bullet-point objects and certifications of each field of work.

The skill lists are what a skills section of that profession holds (tools, methods,
techniques, soft skills); the objects are the ordinary nouns its bullet points speak about,
never entities; certifications and licences are never ``EDUCATION`` (docs/annotation.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profession:
    """One field of work: its English skills, bullet objects, certifications and job titles."""

    name: str
    skills: tuple[str, ...]
    objects: tuple[str, ...]
    certifications: tuple[str, ...]
    #: Job titles of the field, added to faker's (which cover many fields thinly).
    titles: tuple[str, ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(";") if item.strip())


PROFESSIONS: tuple[Profession, ...] = (
    Profession(
        "software",
        _split(
            "Python; Java; JavaScript; TypeScript; Go; Rust; C++; C#; Kotlin; Swift; Ruby; PHP; "
            "Scala; SQL; PostgreSQL; MySQL; MongoDB; Redis; Elasticsearch; Kafka; RabbitMQ; "
            "Docker; Kubernetes; Terraform; Ansible; AWS; Azure; Google Cloud; Linux; Git; "
            "GitHub Actions; Jenkins; React; Angular; Vue.js; Node.js; Django; Flask; FastAPI; "
            "Spring Boot; .NET; GraphQL; REST APIs; gRPC; microservices; CI/CD; unit testing; "
            "test-driven development; Scrum; Kanban; system design; Prometheus; Grafana; "
            "Airflow; Spark; pandas; NumPy; PyTorch; TensorFlow; scikit-learn; machine learning; "
            "data modeling; Snowflake; dbt; Tableau; Power BI; Bash; Jira; Figma; OAuth 2.0; "
            "event sourcing; Android SDK; SwiftUI; Flutter; Selenium; Cypress; Nginx"
        ),
        _split(
            "services; APIs; releases; the deployment pipeline; dashboards; the data platform; "
            "pull requests; code reviews; the test suite; the checkout flow; batch jobs; "
            "the mobile app; the billing system; customer-facing features; legacy modules; "
            "alerts; on-call rotations; database queries; latency; the search page; "
            "onboarding documentation; the design system; internal tools; integrations; "
            "reports; cloud costs; incidents; build times; the public website"
        ),
        _split(
            "AWS Certified Solutions Architect – Associate; Certified Kubernetes Administrator "
            "(CKA); Professional Scrum Master I (PSM I); Microsoft Certified: Azure Developer "
            "Associate; Google Professional Data Engineer; Oracle Certified Professional, Java SE "
            "17 Developer; HashiCorp Certified: Terraform Associate; ISTQB Foundation Level"
        ),
        _split(
            "Software Engineer; Backend Developer; Frontend Developer; Full Stack Developer; "
            "Data Engineer; Data Scientist; DevOps Engineer; Site Reliability Engineer; "
            "Mobile Developer; QA Engineer; Engineering Manager; Machine Learning Engineer; "
            "Solutions Architect; Data Analyst; Cloud Engineer"
        ),
    ),
    Profession(
        "nursing",
        _split(
            "patient assessment; wound care; medication administration; IV therapy; "
            "phlebotomy; triage; infection control; care planning; Epic; Cerner; "
            "electronic health records; vital signs monitoring; catheterisation; "
            "palliative care; patient education; discharge planning; telemetry; "
            "ventilator management; pain management; dementia care; paediatric care; "
            "critical care; compassion; teamwork; time management; clinical documentation; "
            "blood transfusion; diabetes management; post-operative care; NEWS2"
        ),
        _split(
            "patients; beds; shifts; families; the ward; admissions; discharges; care plans; "
            "medication rounds; new graduates; student nurses; incident reports; audits; "
            "handovers; falls; readmissions; the night team; rosters; supplies; "
            "the emergency department; outpatients; home visits"
        ),
        _split(
            "Basic Life Support (BLS); Advanced Cardiovascular Life Support (ACLS); PALS; "
            "Registered Nurse licence; NMC registration; Certified Emergency Nurse (CEN); "
            "Trauma Nursing Core Course (TNCC)"
        ),
        _split(
            "Registered Nurse; Staff Nurse; Charge Nurse; Nurse Practitioner; Ward Manager; "
            "ICU Nurse; Clinical Nurse Specialist; Community Nurse; Midwife; Healthcare Assistant"
        ),
    ),
    Profession(
        "law",
        _split(
            "contract drafting; legal research; litigation; due diligence; negotiation; "
            "corporate law; employment law; intellectual property; GDPR compliance; "
            "mergers and acquisitions; dispute resolution; arbitration; Westlaw; LexisNexis; "
            "legal writing; case management; regulatory compliance; commercial leases; "
            "conveyancing; family law; criminal defence; advocacy; client counselling; "
            "antitrust; data protection; e-discovery; Relativity; iManage"
        ),
        _split(
            "contracts; clients; cases; hearings; briefs; filings; settlements; matters; "
            "claims; trainees; disputes; the firm; memos; court deadlines; leases; "
            "agreements; policies; the legal team; tribunals; opinions"
        ),
        _split(
            "admitted to the New York Bar; Solicitor of England and Wales; Certified "
            "Information Privacy Professional (CIPP/E); OAB registration; Certified Paralegal"
        ),
        _split(
            "Associate; Senior Associate; Paralegal; Legal Counsel; Solicitor; Attorney; "
            "Partner; Legal Assistant; Compliance Officer; In-house Counsel"
        ),
    ),
    Profession(
        "accounting",
        _split(
            "financial reporting; IFRS; US GAAP; accounts payable; accounts receivable; "
            "bank reconciliations; payroll; SAP FI; SAP HR; Oracle Financials; QuickBooks; "
            "Xero; Sage; Excel; VLOOKUP; pivot tables; budgeting; forecasting; variance "
            "analysis; tax compliance; VAT returns; audit; internal controls; SOX; "
            "month-end close; cost accounting; treasury; cash flow management; NetSuite; "
            "financial modelling; consolidation; attention to detail"
        ),
        _split(
            "invoices; ledgers; the month-end close; budgets; forecasts; audits; accounts; "
            "reports; tax returns; expenses; suppliers; payments; the finance team; "
            "reconciliations; cost centres; statements; the board; margins; cash flow"
        ),
        _split(
            "Certified Public Accountant (CPA); ACCA; Chartered Accountant (ACA); CFA Level II; "
            "CIMA; Certified Management Accountant (CMA); Enrolled Agent"
        ),
        _split(
            "Accountant; Staff Accountant; Senior Accountant; Financial Analyst; Auditor; "
            "Controller; Finance Manager; Bookkeeper; Payroll Specialist; Tax Advisor; CFO"
        ),
    ),
    Profession(
        "trades",
        _split(
            "electrical installation; wiring; blueprint reading; welding; MIG welding; TIG "
            "welding; plumbing; pipefitting; HVAC; carpentry; joinery; forklift operation; "
            "preventive maintenance; PLC programming; AutoCAD; power tools; fault finding; "
            "solar panel installation; bricklaying; plastering; tiling; scaffolding; "
            "health and safety; CNC machining; hydraulics; pneumatics; soldering; "
            "rigging; concrete finishing; reliability"
        ),
        _split(
            "sites; jobs; repairs; installations; machines; the workshop; apprentices; "
            "materials; tools; inspections; safety checks; breakdowns; homes; buildings; "
            "pipes; circuits; vehicles; the crew; orders; quotes"
        ),
        _split(
            "OSHA 30-Hour Construction; CSCS card; 18th Edition Wiring Regulations; Gas Safe "
            "registration; Journeyman Electrician licence; EPA Section 608; NVQ Level 3"
        ),
        _split(
            "Electrician; Plumber; Welder; Carpenter; Maintenance Technician; HVAC Technician; "
            "Site Supervisor; Foreman; Mechanic; CNC Operator; Installer"
        ),
    ),
    Profession(
        "hospitality",
        _split(
            "customer service; food safety; HACCP; cash handling; Opera PMS; reservations; "
            "menu planning; wine service; bartending; barista skills; event planning; "
            "inventory management; upselling; complaint handling; housekeeping; "
            "front desk operations; MICROS POS; Toast POS; revenue management; "
            "banquet service; mixology; pastry; allergen management; multitasking"
        ),
        _split(
            "guests; covers; tables; rooms; bookings; events; menus; staff; shifts; "
            "orders; suppliers; the kitchen; the bar; reviews; complaints; tips; "
            "the restaurant; stock; check-ins; banquets"
        ),
        _split(
            "ServSafe Food Handler; Level 2 Food Hygiene; WSET Level 2 in Wines; "
            "Responsible Service of Alcohol (RSA); Certified Hospitality Supervisor"
        ),
        _split(
            "Restaurant Manager; Head Chef; Sous Chef; Line Cook; Waiter; Bartender; "
            "Front Desk Agent; Hotel Manager; Barista; Event Coordinator; Concierge"
        ),
    ),
    Profession(
        "teaching",
        _split(
            "lesson planning; classroom management; curriculum development; differentiated "
            "instruction; assessment design; Google Classroom; Moodle; Canvas; special "
            "educational needs; EAL support; behaviour management; phonics; STEM education; "
            "safeguarding; parent communication; mentoring; Microsoft Teams; "
            "formative assessment; project-based learning; patience; public speaking"
        ),
        _split(
            "students; pupils; classes; lessons; parents; colleagues; exams; grades; "
            "the school; clubs; trips; the department; units; worksheets; results; "
            "attendance; new teachers; the timetable; reports"
        ),
        _split(
            "Qualified Teacher Status (QTS); CELTA; TEFL certificate; DELTA; First Aid at Work; "
            "State Teaching Licence"
        ),
        _split(
            "Teacher; Primary School Teacher; Secondary School Teacher; Head of Department; "
            "Teaching Assistant; Lecturer; Tutor; Head Teacher; SENCO; Instructor"
        ),
    ),
    Profession(
        "engineering",
        _split(
            "AutoCAD; SolidWorks; CATIA; ANSYS; MATLAB; Simulink; finite element analysis; "
            "GD&T; Revit; structural analysis; project management; root cause analysis; "
            "Six Sigma; Lean manufacturing; FMEA; PLC; SCADA; LabVIEW; process "
            "optimisation; quality control; technical drawing; Primavera P6; "
            "MS Project; risk assessment; BIM; geotechnical design; thermodynamics; "
            "embedded C; PCB design; Altium Designer"
        ),
        _split(
            "designs; drawings; prototypes; projects; suppliers; production lines; "
            "tolerances; defects; test rigs; budgets; contractors; specifications; "
            "bridges; plants; components; the assembly line; tenders; site visits; scrap"
        ),
        _split(
            "Professional Engineer (PE); Chartered Engineer (CEng); PMP; Lean Six Sigma "
            "Green Belt; Certified SolidWorks Professional (CSWP); PRINCE2 Foundation"
        ),
        _split(
            "Mechanical Engineer; Civil Engineer; Electrical Engineer; Process Engineer; "
            "Project Engineer; Structural Engineer; Design Engineer; Quality Engineer; "
            "Manufacturing Engineer; Project Manager"
        ),
    ),
    Profession(
        "sales",
        _split(
            "B2B sales; account management; lead generation; cold calling; Salesforce; "
            "HubSpot; negotiation; pipeline management; CRM; SEO; SEM; Google Analytics; "
            "Google Ads; content marketing; social media marketing; email marketing; "
            "Mailchimp; market research; copywriting; brand management; public relations; "
            "Adobe Photoshop; Canva; key account management; presentation skills"
        ),
        _split(
            "customers; accounts; deals; leads; quotas; campaigns; territories; distributors; "
            "revenue; sales; calls; meetings; partners; the brand; followers; open rates; "
            "trade shows; prospects; renewals; the sales team"
        ),
        _split(
            "Google Ads Certification; HubSpot Inbound Marketing Certification; Salesforce "
            "Certified Administrator; Meta Certified Digital Marketing Associate"
        ),
        _split(
            "Sales Representative; Account Executive; Account Manager; Sales Manager; "
            "Marketing Manager; Business Development Manager; Marketing Specialist; "
            "Sales Director; Social Media Manager; Brand Manager"
        ),
    ),
    Profession(
        "healthcare",
        _split(
            "physical examination; diagnosis; ECG interpretation; ultrasound; radiography; "
            "pharmacology; clinical trials; GCP; laboratory techniques; PCR; ELISA; "
            "cell culture; patient counselling; rehabilitation; manual therapy; "
            "dental hygiene; prescription review; medical coding; ICD-10; HIPAA; "
            "emergency medicine; suturing; physiotherapy; occupational therapy"
        ),
        _split(
            "patients; samples; prescriptions; clinics; trials; appointments; referrals; "
            "the practice; protocols; results; the laboratory; waiting times; records"
        ),
        _split(
            "Good Clinical Practice (GCP); HCPC registration; ATLS; Board Certified in "
            "Internal Medicine; Certified Pharmacy Technician (CPhT)"
        ),
        _split(
            "Physician; General Practitioner; Pharmacist; Physiotherapist; Laboratory "
            "Technician; Radiographer; Clinical Research Associate; Dentist; Medical Assistant"
        ),
    ),
    Profession(
        "operations",
        _split(
            "supply chain management; logistics; procurement; inventory control; SAP MM; "
            "warehouse management; demand planning; vendor management; Excel; ERP; "
            "process improvement; KPI reporting; shipping; customs clearance; "
            "recruitment; onboarding; Workday; employee relations; performance management; "
            "HR policies; training delivery; stakeholder management; leadership"
        ),
        _split(
            "shipments; orders; vendors; warehouses; stock levels; the team; contracts; "
            "hires; candidates; employees; processes; routes; deliveries; costs; "
            "returns; purchase orders; the budget; policies; surveys"
        ),
        _split("APICS CSCP; CIPS Level 4; SHRM-CP; CIPD Level 5; Lean Six Sigma Yellow Belt"),
        _split(
            "Operations Manager; Logistics Coordinator; Procurement Specialist; Buyer; "
            "Warehouse Supervisor; HR Manager; Recruiter; HR Business Partner; "
            "Office Manager; Administrative Assistant; Customer Service Representative"
        ),
    ),
    Profession(
        "design",
        _split(
            "Adobe Illustrator; Adobe Photoshop; InDesign; Figma; Sketch; typography; "
            "branding; user research; wireframing; prototyping; usability testing; "
            "motion graphics; After Effects; Premiere Pro; photography; illustration; "
            "layout design; colour theory; accessibility; design thinking; Blender"
        ),
        _split(
            "logos; layouts; campaigns; websites; screens; clients; prototypes; "
            "brand guidelines; videos; posters; the style guide; user interviews; covers"
        ),
        _split("Google UX Design Certificate; Adobe Certified Professional; NN/g UX Certification"),
        _split(
            "Graphic Designer; UX Designer; UI Designer; Product Designer; Art Director; "
            "Video Editor; Illustrator; Creative Director; Web Designer"
        ),
    ),
)

#: Soft skills, listed in skills sections of every profession.
SOFT_SKILLS = _split(
    "communication; teamwork; leadership; problem solving; time management; adaptability; "
    "critical thinking; conflict resolution; attention to detail; mentoring; "
    "stakeholder management; organisation"
)

#: Courses and trainings (never entities: neither EDUCATION nor SKILL, docs/annotation.md).
COURSES = _split(
    "Machine Learning Specialization (Coursera); Leading People and Teams (Coursera); "
    "Google Data Analytics Certificate; Excel Skills for Business (Macquarie University, "
    "Coursera); Infection Prevention in Healthcare (FutureLearn); Negotiation Mastery "
    "(Harvard Online); Food Safety Level 3 (Highfield); Working at Heights (1 day); "
    "Manual Handling Refresher; Fire Marshal Training; Mental Health First Aid; "
    "Introduction to Contract Law (edX); Financial Accounting Fundamentals (Udemy); "
    "Agile Project Management (Google); Safeguarding Children Level 2; Customer Service "
    "Excellence Workshop; Lean Fundamentals (2 days); Public Speaking for Professionals; "
    "Time Management Masterclass; Diversity and Inclusion at Work"
)
#: Awards (ordinary text).
AWARDS = _split(
    "Employee of the Year; Dean's List (all semesters); Nurse of the Month; Best Paper Award; "
    "President's Club; Top Performer, Q3; Excellence in Teaching Award; Safety Star Award; "
    "Innovation Prize; Scholarship for Academic Merit"
)

#: Employer names of each profession, beside faker's companies: ``{city}`` is a city of the
#: candidate's country, ``{surname}`` a family name (a company, never an entity, even when it
#: names a place, a person or a school).
EMPLOYERS: dict[str, tuple[str, ...]] = {
    "software": _split(
        "{surname} Labs; {city} Software Solutions; {surname} Technologies; Cloudbase Systems; "
        "Northwind Traders; {city} Fintech; Brightpath Analytics; {surname} Digital"
    ),
    "nursing": _split(
        "{city} General Hospital; St. {surname} Medical Center; {surname} Care Home; "
        "{city} Community Health; {city} Children's Hospital; Royal {city} Infirmary; "
        "Mercy Regional Medical Center; {city} Hospice"
    ),
    "law": _split(
        "{surname} & {surname} LLP; {surname} Legal; {surname}, {surname} & Partners; "
        "{city} Legal Aid Society; Office of the {city} Public Defender; {surname} Solicitors"
    ),
    "accounting": _split(
        "{surname} & Co. Chartered Accountants; {city} Savings Bank; {surname} Audit Services; "
        "{city} City Council; {surname} Tax Advisors; First {city} Credit Union"
    ),
    "trades": _split(
        "{surname} Electrical Ltd; {surname} & Sons Plumbing; {city} Building Services; "
        "{surname} Construction; {city} Facilities Management; {surname} Auto Repair"
    ),
    "hospitality": _split(
        "Hotel {city} Plaza; The {surname} Arms; {city} Grand Hotel; Café {surname}; "
        "{surname}'s Bistro; {city} Convention Centre; Harbour View Resort"
    ),
    "teaching": _split(
        "{city} High School; {surname} Primary School; {city} Unified School District; "
        "St. {surname}'s Academy; {city} Language Centre; {city} Adult Education Centre"
    ),
    "engineering": _split(
        "{surname} Engineering; {city} Water Authority; {surname} Structural Consultants; "
        "{surname} Automotive; {city} Metro; {surname} Energy Systems"
    ),
    "sales": _split(
        "{surname} Media; {city} Motors; {surname} Retail Group; {surname} Marketing Agency; "
        "{city} Real Estate; {surname} Distribution"
    ),
    "healthcare": _split(
        "{city} Family Practice; {surname} Pharmacy; {city} Diagnostics Lab; {surname} "
        "Physiotherapy Clinic; {city} Dental Care; {city} Clinical Research Unit"
    ),
    "operations": _split(
        "{surname} Logistics; {city} Distribution Centre; {surname} Freight; {city} Port "
        "Authority; {surname} Staffing; {surname} Supplies"
    ),
    "design": _split(
        "Studio {surname}; {surname} Creative; {city} Design Co.; {surname} Branding; "
        "{city} Film Works; Pixel & {surname}"
    ),
}
