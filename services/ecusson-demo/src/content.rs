//! The French texts of the generated network: catalogue, structures, organisations, criteria,
//! fictional people, evidence, notes and testimonies. Every person is fictional: first names
//! are common French first names, surnames are invented plant and fruit names, e-mail
//! addresses are on example.org.

use ecusson_domain::{Role, SkillType, StructureKind};

pub const NETWORK_NAME: &str = "Réseau régional de l'inclusion (démo)";

pub struct PathwaySpec {
    pub rank: u8,
    pub name: &'static str,
    pub description: &'static str,
}

pub const PATHWAYS: [PathwaySpec; 3] = [
    PathwaySpec {
        rank: 1,
        name: "Parcours 1 : premiers pas dans la structure",
        description: "Valoriser les premières actions menées en SIAE et considérer l'apprentissage du travail comme une montée en compétences concrète.",
    },
    PathwaySpec {
        rank: 2,
        name: "Parcours 2 : autonomie",
        description: "Reconnaître, valoriser et documenter les actions menant à l'autonomie ; individualiser les parcours en rendant visibles les différentes initiatives.",
    },
    PathwaySpec {
        rank: 3,
        name: "Parcours 3 : accès à l'emploi",
        description: "Marquer les étapes nécessaires pour l'accès à l'emploi ordinaire et reconnaître les compétences spécifiques liées à la recherche d'emploi.",
    },
];

pub struct AlignmentSpec {
    pub name: &'static str,
    pub url: &'static str,
    pub code: Option<&'static str>,
}

pub struct BadgeSpec {
    pub slug: &'static str,
    pub rank: u8,
    pub name: &'static str,
    pub description: &'static str,
    pub skill: SkillType,
    pub criteria: &'static str,
    pub evidence: &'static str,
    pub validity_months: Option<u32>,
    pub alignment: Option<AlignmentSpec>,
    /// The structure-side criterion proposed in the toolbox (step 1 of the brochure).
    pub local_criterion: &'static str,
    pub local_evidence: &'static str,
}

/// Index of "Sécurité au poste de travail" (12-month validity) in [`BADGES`].
pub const SAFETY: usize = 2;
/// Index of "Travail en équipe", revised once, in [`BADGES`].
pub const TEAMWORK: usize = 3;
/// Index of the supporter badge in the generator's class list (after the fourteen).
pub const SUPPORTER: usize = 14;

pub const BADGES: [BadgeSpec; 14] = [
    // ---- parcours 1 ----
    BadgeSpec {
        slug: "bienvenue-dans-l-equipe",
        rank: 1,
        name: "Bienvenue dans l'équipe",
        description: "La personne a réussi son intégration dans la structure : période d'essai validée, règles de fonctionnement connues, place trouvée dans l'équipe.",
        skill: SkillType::SavoirEtre,
        criteria: "A validé sa période d'essai. Connaît le règlement intérieur, les horaires, les lieux et les interlocuteurs de la structure.",
        evidence: "Attestation ou copie du contrat de renouvellement, informations personnelles masquées.",
        validity_months: None,
        alignment: None,
        local_criterion: "Avoir validé sa période d'essai.",
        local_evidence: "Attestation ou copie du contrat en masquant les informations personnelles.",
    },
    BadgeSpec {
        slug: "ponctualite-et-assiduite",
        rank: 1,
        name: "Ponctualité et assiduité",
        description: "Reconnaît la régularité de la présence au travail et le respect des horaires convenus avec l'équipe.",
        skill: SkillType::SavoirEtre,
        criteria: "Respecte les horaires sur une période d'au moins un mois ; prévient l'encadrant·e en cas d'absence ou de retard.",
        evidence: "Relevé de présence commenté par l'encadrant·e ou attestation de l'ETI.",
        validity_months: None,
        alignment: None,
        local_criterion: "Un mois de présence sans retard non prévenu.",
        local_evidence: "Relevé de présence du mois, commenté par l'ETI.",
    },
    BadgeSpec {
        slug: "securite-au-poste",
        rank: 1,
        name: "Sécurité au poste de travail",
        description: "Connaît et applique les consignes de sécurité de son poste : équipements de protection individuelle, gestes et postures, signalement des risques.",
        skill: SkillType::SavoirFaire,
        criteria: "Porte les EPI adaptés sans rappel, applique les consignes de sécurité du poste et sait à qui signaler un danger.",
        evidence: "Grille d'observation au poste signée par l'ETI ; attestation de formation sécurité le cas échéant.",
        validity_months: Some(12),
        alignment: None,
        local_criterion: "Observation au poste sur deux semaines sans manquement aux consignes de sécurité.",
        local_evidence: "Grille d'observation signée par l'encadrant·e technique.",
    },
    BadgeSpec {
        slug: "travail-en-equipe",
        rank: 1,
        name: "Travail en équipe",
        description: "Sait trouver sa place dans un collectif de travail : entraide, partage des tâches, respect des collègues.",
        skill: SkillType::SavoirEtre,
        criteria: "Participe aux tâches collectives, aide un·e collègue en difficulté, respecte les consignes communes.",
        evidence: "Témoignage de l'ETI ou d'un·e collègue, photo d'une réalisation collective.",
        validity_months: None,
        alignment: None,
        local_criterion: "Avoir mené à bien une tâche collective avec l'équipe de chantier.",
        local_evidence: "Photo de la réalisation ou témoignage écrit de l'encadrant·e.",
    },
    BadgeSpec {
        slug: "premiers-gestes-professionnels",
        rank: 1,
        name: "Premiers gestes professionnels",
        description: "Maîtrise les gestes de base du support d'activité (espaces verts, tri, logistique, bâtiment, restauration) et l'usage des outils courants.",
        skill: SkillType::SavoirFaire,
        criteria: "Réalise les gestes de base du poste en respectant les consignes et entretient son matériel.",
        evidence: "Attestation de compétences signée par l'ETI, photos de réalisations.",
        validity_months: None,
        alignment: Some(AlignmentSpec {
            name: "ROME A1203 — Aménagement et entretien des espaces verts",
            url: "https://candidat.francetravail.fr/metierscope/fiche-metier/A1203",
            code: Some("A1203"),
        }),
        local_criterion: "Réaliser seul·e les gestes de base du poste pendant une semaine.",
        local_evidence: "Attestation de compétences signée par l'ETI.",
    },
    // ---- parcours 2 ----
    BadgeSpec {
        slug: "autonomie-au-poste",
        rank: 2,
        name: "Autonomie au poste",
        description: "Réalise les tâches de son poste sans accompagnement constant et sait demander de l'aide à bon escient.",
        skill: SkillType::SavoirFaire,
        criteria: "Organise son travail sur une demi-journée sans consigne répétée ; vérifie la qualité de ce qu'il ou elle produit.",
        evidence: "Grille d'évaluation au poste, bilan intermédiaire de parcours.",
        validity_months: None,
        alignment: None,
        local_criterion: "Tenir son poste en autonomie lors de l'évaluation intermédiaire.",
        local_evidence: "Grille d'évaluation au poste complétée par l'ETI.",
    },
    BadgeSpec {
        slug: "organisation-et-gestion-du-temps",
        rank: 2,
        name: "Organisation et gestion du temps",
        description: "Planifie ses activités professionnelles et personnelles, tient ses rendez-vous et ses délais.",
        skill: SkillType::SavoirEtre,
        criteria: "Tient un agenda, honore ses rendez-vous de suivi et ses démarches dans les délais convenus.",
        evidence: "Agenda ou planning tenu par la personne, attestation du ou de la CIP.",
        validity_months: None,
        alignment: None,
        local_criterion: "Honorer tous ses rendez-vous de suivi pendant deux mois.",
        local_evidence: "Attestation du ou de la CIP.",
    },
    BadgeSpec {
        slug: "communication-professionnelle",
        rank: 2,
        name: "Communication professionnelle",
        description: "S'exprime de façon adaptée avec les collègues, l'encadrement et les clients ; écoute et reformule une consigne.",
        skill: SkillType::SavoirEtre,
        criteria: "Transmet une information ou une consigne de façon claire ; adapte son langage à son interlocuteur.",
        evidence: "Témoignage d'un client ou de l'encadrant·e, mise en situation en atelier.",
        validity_months: None,
        alignment: None,
        local_criterion: "Avoir accueilli un client ou présenté le chantier à un visiteur.",
        local_evidence: "Témoignage de l'encadrant·e ou du client.",
    },
    BadgeSpec {
        slug: "mobilite",
        rank: 2,
        name: "Mobilité",
        description: "A engagé des démarches pour se déplacer de façon autonome : code de la route, permis, transports en commun, vélo.",
        skill: SkillType::SavoirFaire,
        criteria: "Prépare seul·e un itinéraire vers un lieu inconnu ; a engagé une démarche de mobilité (code, permis, abonnement).",
        evidence: "Attestation d'inscription au code ou au permis, itinéraire préparé, récit.",
        validity_months: None,
        alignment: None,
        local_criterion: "Se rendre seul·e à un rendez-vous extérieur en transports en commun.",
        local_evidence: "Récit ou itinéraire préparé, validé par le ou la CIP.",
    },
    BadgeSpec {
        slug: "numerique-du-quotidien",
        rank: 2,
        name: "Numérique du quotidien",
        description: "Utilise les outils numériques pour ses démarches : messagerie, espace personnel France Travail, prise de rendez-vous en ligne.",
        skill: SkillType::SavoirFaire,
        criteria: "Crée et utilise une adresse électronique, se connecte à son espace personnel, envoie une pièce jointe.",
        evidence: "Capture d'écran d'une démarche réalisée, attestation d'atelier numérique.",
        validity_months: Some(24),
        alignment: None,
        local_criterion: "Réaliser une démarche en ligne lors de l'atelier numérique.",
        local_evidence: "Capture d'écran de la démarche, données personnelles masquées.",
    },
    // ---- parcours 3 ----
    BadgeSpec {
        slug: "projet-professionnel",
        rank: 3,
        name: "Projet professionnel",
        description: "A construit et formulé un projet professionnel réaliste, en lien avec ses compétences et le marché local.",
        skill: SkillType::SavoirEtre,
        criteria: "Présente son projet professionnel, les étapes pour y parvenir et les métiers visés.",
        evidence: "Fiche projet rédigée avec le ou la CIP, compte rendu d'enquête métier.",
        validity_months: None,
        alignment: None,
        local_criterion: "Avoir présenté son projet lors du bilan de mi-parcours.",
        local_evidence: "Fiche projet validée en entretien.",
    },
    BadgeSpec {
        slug: "immersion-en-entreprise",
        rank: 3,
        name: "Immersion en entreprise",
        description: "A réalisé une période de mise en situation en milieu professionnel (PMSMP) ou un stage et en a tiré un bilan.",
        skill: SkillType::SavoirFaire,
        criteria: "A mené à terme une immersion en entreprise et en présente le bilan.",
        evidence: "Bilan de PMSMP complété par l'entreprise d'accueil.",
        validity_months: None,
        alignment: Some(AlignmentSpec {
            name: "Période de mise en situation en milieu professionnel (PMSMP)",
            url: "https://travail-emploi.gouv.fr/periode-de-mise-en-situation-en-milieu-professionnel-pmsmp",
            code: None,
        }),
        local_criterion: "Avoir terminé une PMSMP d'au moins une semaine.",
        local_evidence: "Bilan de PMSMP signé par l'entreprise d'accueil.",
    },
    BadgeSpec {
        slug: "techniques-de-recherche-d-emploi",
        rank: 3,
        name: "Techniques de recherche d'emploi",
        description: "Sait présenter son parcours et ses compétences : CV à jour (CV 2.0 avec ses badges), lettre de motivation, préparation à l'entretien.",
        skill: SkillType::SavoirFaire,
        criteria: "Dispose d'un CV à jour, a répondu à des offres et s'est préparé·e à un entretien d'embauche.",
        evidence: "CV 2.0, candidatures envoyées, grille de simulation d'entretien.",
        validity_months: Some(12),
        alignment: None,
        local_criterion: "Avoir participé à une simulation d'entretien et mis son CV à jour.",
        local_evidence: "CV mis à jour et grille de simulation d'entretien.",
    },
    BadgeSpec {
        slug: "cap-vers-l-emploi",
        rank: 3,
        name: "Cap vers l'emploi",
        description: "Marque la dernière étape du parcours : la personne a ciblé des offres, passé des entretiens et sait valoriser ses compétences auprès d'un employeur.",
        skill: SkillType::SavoirEtre,
        criteria: "A passé au moins un entretien d'embauche ou de formation et en a fait le bilan avec son ou sa CIP.",
        evidence: "Convocation ou compte rendu d'entretien, bilan de sortie.",
        validity_months: None,
        alignment: None,
        local_criterion: "Avoir passé un entretien d'embauche ou de formation qualifiante.",
        local_evidence: "Convocation à l'entretien, données personnelles masquées.",
    },
];

pub const TEAMWORK_REVISED_CRITERIA: &str = "Participe aux tâches collectives, aide un·e collègue en difficulté, respecte les consignes communes. Depuis la révision 2 : a contribué au moins une fois à l'accueil d'un·e nouvel·le salarié·e.";
pub const TEAMWORK_REVISED_EVIDENCE: &str = "Témoignage de l'ETI ou d'un·e collègue, photo d'une réalisation collective, ou récit de l'accueil d'un·e nouvel·le salarié·e.";

pub struct SupporterSpec;
impl SupporterSpec {
    pub const SLUG: &'static str = "badgeons-l-iae";
    pub const NAME: &'static str = "Badgeons l'IAE (démo)";
    pub const DESCRIPTION: &'static str = "Montre le soutien de son ou sa titulaire à la reconnaissance des compétences mobilisées et développées dans les structures d'insertion par l'activité économique de la région.";
    pub const CRITERIA: &'static str =
        "Avoir demandé le badge pour marquer son soutien à la démarche. Validation automatique.";
}

pub const STRUCTURES: [(&str, StructureKind); 10] = [
    ("Les Jardins de la Garonne (démo)", StructureKind::Aci),
    ("Atelier du Réemploi (démo)", StructureKind::Ei),
    (
        "Intérim Solidaire Val de Vienne (démo)",
        StructureKind::Etti,
    ),
    ("Coup de Main Services (démo)", StructureKind::Ai),
    ("Bois et Bâti Insertion (démo)", StructureKind::Ei),
    ("La Table Partagée (démo)", StructureKind::Aci),
    ("Ressourcerie des Deux Rives (démo)", StructureKind::Aci),
    ("Trait d'Union Intérim (démo)", StructureKind::Etti),
    ("Coopérative Vélos Solidaires (démo)", StructureKind::Ess),
    ("Services à Domicile Entraide (démo)", StructureKind::Ai),
];

pub const ENDORSERS: [&str; 3] = [
    "Coopérative régionale des tiers-lieux (démo)",
    "Fédération régionale des employeurs (démo)",
    "Communauté d'agglomération du Val fleuri (démo)",
];

pub const ISSUER_STATEMENTS: [&str; 2] = [
    "La coopérative reconnaît la démarche du réseau et la qualité de son catalogue de badges, construit avec les SIAE, les prescripteurs et les entreprises du territoire.",
    "Les employeurs de la fédération accordent leur confiance aux badges émis par le réseau et les consultent lors de leurs recrutements.",
];

pub const BADGE_CLASS_STATEMENTS: [&str; 2] = [
    "Badge co-construit avec nos entreprises adhérentes : une immersion réussie est un signal fort pour un recrutement.",
    "Nos tiers-lieux valorisent le travail collectif : nous endossons ce badge et l'affichons dans nos espaces.",
];

pub const HOST_COMPANIES: [&str; 8] = [
    "Boulangerie du Marché couvert (démo)",
    "Garonne Logistique (démo)",
    "Pépinières des Coteaux (démo)",
    "Menuiserie Lacombe & Fils (démo)",
    "Supermarché coopératif La Halle (démo)",
    "Résidence autonomie Les Tilleuls (démo)",
    "Transports Sud-Ouest Colis (démo)",
    "Restaurant Le Petit Comptoir (démo)",
];

pub const FIRST_NAMES: [&str; 40] = [
    "Camille",
    "Léa",
    "Karim",
    "Mamadou",
    "Aïcha",
    "Julien",
    "Sandrine",
    "Kevin",
    "Nadia",
    "Thierry",
    "Inès",
    "Yacine",
    "Sophie",
    "Didier",
    "Fatou",
    "Mickaël",
    "Laëtitia",
    "Sébastien",
    "Amandine",
    "Rachid",
    "Élodie",
    "Grégory",
    "Samira",
    "Jordan",
    "Océane",
    "Patrick",
    "Zoé",
    "Mehdi",
    "Chantal",
    "Dylan",
    "Sarah",
    "Bruno",
    "Nathalie",
    "Hugo",
    "Malika",
    "Franck",
    "Jessica",
    "Ibrahima",
    "Manon",
    "Olivier",
];

pub const LAST_NAMES: [&str; 32] = [
    "Coquelicot",
    "Tournesol",
    "Framboisier",
    "Noisetier",
    "Pervenche",
    "Châtaignier",
    "Mirabelle",
    "Bruyère",
    "Aubépine",
    "Glycine",
    "Sureau",
    "Lavandin",
    "Églantine",
    "Genêtier",
    "Cerisaie",
    "Marronnier",
    "Myrtillier",
    "Pommeraie",
    "Chèvrefeuille",
    "Millepertuis",
    "Campanule",
    "Romarin",
    "Sainfoin",
    "Bleuet",
    "Liseron",
    "Capucine",
    "Prunelier",
    "Cornouiller",
    "Jacinthe",
    "Tilleulaie",
    "Valériane",
    "Serpolet",
];

pub const PROCESSES: [&str; 3] = [
    "Lors de l'entretien de suivi mensuel, le badge est demandé en binôme avec le ou la CIP après un échange sur les compétences.",
    "Les demandes sont faites lors de l'atelier collectif « Mes compétences », animé chaque mois par l'équipe de permanents.",
    "Les badges sont affichés en salle de pause : la personne le demande quand elle s'estime prête, l'évaluateur vérifie la preuve.",
];

/// Evaluators by skill type: know-how is judged at the work position, soft skills in follow-up.
pub fn evaluator_roles(skill: SkillType) -> Vec<Role> {
    match skill {
        SkillType::SavoirFaire => vec![Role::TechnicalSupervisor, Role::Direction],
        SkillType::SavoirEtre => vec![Role::Counsellor, Role::Direction],
    }
}

pub const EVIDENCE_DOCUMENTS: [&str; 6] = [
    "Attestation de compétences signée par l'encadrant·e technique (données personnelles masquées).",
    "Copie du contrat de renouvellement, informations personnelles masquées.",
    "Bilan de PMSMP rempli par l'entreprise d'accueil.",
    "Grille d'évaluation au poste complétée lors de l'entretien de suivi.",
    "Attestation de formation « Gestes et postures » (une journée).",
    "Relevé de présence du mois, commenté par l'ETI.",
];
pub const EVIDENCE_PHOTOS: [&str; 4] = [
    "Massif replanté au parc municipal, avant et après.",
    "Atelier rangé et matériel nettoyé en fin de journée.",
    "Meubles remis en état et étiquetés pour la boutique.",
    "EPI portés lors du chantier d'élagage.",
];
pub const EVIDENCE_NARRATIVES: [&str; 5] = [
    "« Au début je n'osais pas demander. Maintenant j'explique les consignes aux nouveaux. »",
    "« J'ai préparé seul·e mon itinéraire en bus pour aller en PMSMP. »",
    "« J'ai présenté le chantier aux élus lors de la visite, sans mes notes. »",
    "« J'ai créé mon adresse mail et envoyé mon CV depuis mon téléphone. »",
    "« Pendant l'inventaire, j'ai organisé le travail avec deux collègues. »",
];
pub const EVIDENCE_LINKS: [&str; 2] = [
    "Lien vers le CV 2.0 : https://example.org/cv/",
    "Lien vers la vidéo de présentation réalisée en atelier : https://example.org/video/",
];

pub const REFUSAL_NOTES: [&str; 3] = [
    "Les preuves ne montrent pas encore la tenue du poste sur la durée ; à redemander dans deux mois.",
    "Le critère de la structure (un mois sans retard non prévenu) n'est pas encore atteint.",
    "Attestation manquante : à compléter avec l'ETI avant une nouvelle demande.",
];
pub const APPROVAL_NOTES: [&str; 2] = [
    "Preuves complètes, échange très positif en entretien.",
    "Validé après observation au poste.",
];
pub const WITHDRAWAL_NOTES: [&str; 2] = [
    "La personne préfère attendre la fin de sa PMSMP pour ajouter une preuve.",
    "Demande faite en double lors de l'atelier collectif.",
];
pub const REVOCATION_NOTES: [&str; 4] = [
    "Badge attribué par erreur lors de l'atelier collectif (confusion entre deux salariés).",
    "L'attestation présentée n'était pas conforme.",
    "La personne a demandé le retrait de ce badge de son profil.",
    "Badge remplacé après la révision du critère de la structure.",
];
/// Testimonies; `{}` is replaced by the earner's first name.
pub const TESTIMONIES: [&str; 5] = [
    "{} a fait preuve de sérieux et de ponctualité pendant toute la durée de la mise en situation.",
    "Très bonne intégration dans notre équipe de préparation de commandes ; {} sait demander de l'aide quand il le faut.",
    "{} a tenu le poste en autonomie dès la deuxième semaine. Nous recommandons sans réserve.",
    "Travail soigné et respect des consignes de sécurité : {} serait le bienvenu ou la bienvenue chez nous.",
    "Excellent contact avec la clientèle, {} a été très apprécié·e.",
];
pub const STAFF_NOTES: [&str; 3] = [
    "Accueil le lundi et le jeudi, bureau du rez-de-chaussée.",
    "Référent·e badges numériques de la structure.",
    "Joignable de préférence par téléphone le matin.",
];

/// Lowercase ASCII form of a name, for fictional e-mail addresses.
pub fn ascii_slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        let mapped = match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'î' | 'ï' | 'Î' => 'i',
            'ô' | 'ö' | 'Ô' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' | 'Ç' => 'c',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '-',
        };
        slug.push(mapped);
    }
    slug
}
