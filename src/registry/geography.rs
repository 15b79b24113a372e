//! A small, realistic geography for generated registries: the 21 regions and autonomous
//! provinces with their Sistema TS codes, a few provinces each with real municipalities
//! (Belfiore codes), and ASLs covering them — some provinces split across several ASLs, as
//! Rome's is. Population weights follow the regions' share of Italy's population (‰).

/// (region code, name, population ‰, ASLs as (code, name, provinces or municipality slice)).
pub struct RegionData {
    pub code: &'static str,
    pub name: &'static str,
    pub weight: u32,
    pub asls: &'static [AslData],
}

pub struct AslData {
    pub code: &'static str,
    pub name: &'static str,
    /// (Belfiore code, municipality, province sigla).
    pub municipalities: &'static [(&'static str, &'static str, &'static str)],
}

macro_rules! asl {
    ($code:literal, $name:literal, [$(($b:literal, $m:literal, $p:literal)),* $(,)?]) => {
        AslData { code: $code, name: $name, municipalities: &[$(($b, $m, $p)),*] }
    };
}

pub const REGIONS: &[RegionData] = &[
    RegionData {
        code: "010",
        name: "Piemonte",
        weight: 72,
        asls: &[
            asl!("301", "ASL Città di Torino", [("L219", "Torino", "TO")]),
            asl!(
                "303",
                "ASL TO3",
                [("G674", "Pinerolo", "TO"), ("C627", "Chieri", "TO")]
            ),
            asl!(
                "304",
                "ASL CN1",
                [("D205", "Cuneo", "CN"), ("A124", "Alba", "CN")]
            ),
        ],
    },
    RegionData {
        code: "020",
        name: "Valle d'Aosta",
        weight: 2,
        asls: &[asl!("101", "USL Valle d'Aosta", [("A326", "Aosta", "AO")])],
    },
    RegionData {
        code: "030",
        name: "Lombardia",
        weight: 167,
        asls: &[
            asl!(
                "321",
                "ATS Città Metropolitana di Milano",
                [
                    ("F205", "Milano", "MI"),
                    ("G686", "Pioltello", "MI"),
                    ("B880", "Legnano", "MI")
                ]
            ),
            asl!(
                "322",
                "ATS Insubria",
                [("C933", "Como", "CO"), ("L682", "Varese", "VA")]
            ),
            asl!("324", "ATS Bergamo", [("A794", "Bergamo", "BG")]),
            asl!("325", "ATS Brescia", [("B157", "Brescia", "BS")]),
        ],
    },
    RegionData {
        code: "041",
        name: "Provincia autonoma di Bolzano",
        weight: 9,
        asls: &[asl!(
            "101",
            "Azienda sanitaria dell'Alto Adige",
            [("A952", "Bolzano", "BZ"), ("F132", "Merano", "BZ")]
        )],
    },
    RegionData {
        code: "042",
        name: "Provincia autonoma di Trento",
        weight: 9,
        asls: &[asl!(
            "101",
            "APSS Trento",
            [("L378", "Trento", "TN"), ("H612", "Rovereto", "TN")]
        )],
    },
    RegionData {
        code: "050",
        name: "Veneto",
        weight: 81,
        asls: &[
            asl!("503", "AULSS 3 Serenissima", [("L736", "Venezia", "VE")]),
            asl!("506", "AULSS 6 Euganea", [("G224", "Padova", "PD")]),
            asl!("509", "AULSS 9 Scaligera", [("L781", "Verona", "VR")]),
        ],
    },
    RegionData {
        code: "060",
        name: "Friuli Venezia Giulia",
        weight: 20,
        asls: &[
            asl!(
                "201",
                "ASUGI Giuliano Isontina",
                [("L424", "Trieste", "TS"), ("E098", "Gorizia", "GO")]
            ),
            asl!("202", "ASUFC Friuli Centrale", [("L483", "Udine", "UD")]),
        ],
    },
    RegionData {
        code: "070",
        name: "Liguria",
        weight: 26,
        asls: &[
            asl!("103", "ASL 3 Genovese", [("D969", "Genova", "GE")]),
            asl!("105", "ASL 5 Spezzino", [("E463", "La Spezia", "SP")]),
        ],
    },
    RegionData {
        code: "080",
        name: "Emilia-Romagna",
        weight: 74,
        asls: &[
            asl!(
                "105",
                "AUSL Bologna",
                [("A944", "Bologna", "BO"), ("I462", "Imola", "BO")]
            ),
            asl!("104", "AUSL Modena", [("F257", "Modena", "MO")]),
            asl!(
                "114",
                "AUSL Romagna",
                [("H294", "Rimini", "RN"), ("H199", "Ravenna", "RA")]
            ),
        ],
    },
    RegionData {
        code: "090",
        name: "Toscana",
        weight: 62,
        asls: &[
            asl!(
                "201",
                "AUSL Toscana Centro",
                [("D612", "Firenze", "FI"), ("G999", "Prato", "PO")]
            ),
            asl!(
                "202",
                "AUSL Toscana Nord Ovest",
                [("G702", "Pisa", "PI"), ("E625", "Livorno", "LI")]
            ),
            asl!(
                "203",
                "AUSL Toscana Sud Est",
                [("I726", "Siena", "SI"), ("A390", "Arezzo", "AR")]
            ),
        ],
    },
    RegionData {
        code: "100",
        name: "Umbria",
        weight: 15,
        asls: &[
            asl!("201", "USL Umbria 1", [("G478", "Perugia", "PG")]),
            asl!("202", "USL Umbria 2", [("L117", "Terni", "TR")]),
        ],
    },
    RegionData {
        code: "110",
        name: "Marche",
        weight: 25,
        asls: &[asl!(
            "201",
            "ASUR Marche",
            [
                ("A271", "Ancona", "AN"),
                ("E783", "Macerata", "MC"),
                ("G479", "Pesaro", "PU")
            ]
        )],
    },
    RegionData {
        code: "120",
        name: "Lazio",
        weight: 96,
        asls: &[
            asl!("201", "ASL Roma 1", [("H501", "Roma", "RM")]),
            asl!("202", "ASL Roma 2", [("H501", "Roma", "RM")]),
            asl!(
                "204",
                "ASL Roma 4",
                [("C773", "Civitavecchia", "RM"), ("B114", "Bracciano", "RM")]
            ),
            asl!(
                "206",
                "ASL Roma 6",
                [("A132", "Albano Laziale", "RM"), ("D708", "Formia", "LT")]
            ),
            asl!(
                "207",
                "ASL Frosinone",
                [("D810", "Frosinone", "FR"), ("C034", "Cassino", "FR")]
            ),
            asl!(
                "208",
                "ASL Latina",
                [("E472", "Latina", "LT"), ("I712", "Sezze", "LT")]
            ),
            asl!("209", "ASL Rieti", [("H282", "Rieti", "RI")]),
            asl!("210", "ASL Viterbo", [("M082", "Viterbo", "VT")]),
        ],
    },
    RegionData {
        code: "130",
        name: "Abruzzo",
        weight: 22,
        asls: &[
            asl!(
                "201",
                "ASL Avezzano-Sulmona-L'Aquila",
                [("A345", "L'Aquila", "AQ"), ("A515", "Avezzano", "AQ")]
            ),
            asl!("203", "ASL Pescara", [("G482", "Pescara", "PE")]),
        ],
    },
    RegionData {
        code: "140",
        name: "Molise",
        weight: 5,
        asls: &[asl!(
            "101",
            "ASREM Molise",
            [("B519", "Campobasso", "CB"), ("E335", "Isernia", "IS")]
        )],
    },
    RegionData {
        code: "150",
        name: "Campania",
        weight: 96,
        asls: &[
            asl!("201", "ASL Avellino", [("A509", "Avellino", "AV")]),
            asl!("202", "ASL Benevento", [("A783", "Benevento", "BN")]),
            asl!("203", "ASL Caserta", [("B963", "Caserta", "CE")]),
            asl!("204", "ASL Napoli 1 Centro", [("F839", "Napoli", "NA")]),
            asl!(
                "206",
                "ASL Napoli 3 Sud",
                [
                    ("C129", "Castellammare di Stabia", "NA"),
                    ("L259", "Torre del Greco", "NA")
                ]
            ),
            asl!("207", "ASL Salerno", [("H703", "Salerno", "SA")]),
        ],
    },
    RegionData {
        code: "160",
        name: "Puglia",
        weight: 66,
        asls: &[
            asl!(
                "114",
                "ASL Bari",
                [("A662", "Bari", "BA"), ("A285", "Andria", "BT")]
            ),
            asl!("115", "ASL Foggia", [("D643", "Foggia", "FG")]),
            asl!("116", "ASL Lecce", [("E506", "Lecce", "LE")]),
            asl!("113", "ASL Taranto", [("L049", "Taranto", "TA")]),
        ],
    },
    RegionData {
        code: "170",
        name: "Basilicata",
        weight: 9,
        asls: &[
            asl!("201", "ASP Potenza", [("G942", "Potenza", "PZ")]),
            asl!("202", "ASM Matera", [("F052", "Matera", "MT")]),
        ],
    },
    RegionData {
        code: "180",
        name: "Calabria",
        weight: 32,
        asls: &[
            asl!("201", "ASP Cosenza", [("D086", "Cosenza", "CS")]),
            asl!("203", "ASP Catanzaro", [("C352", "Catanzaro", "CZ")]),
            asl!(
                "205",
                "ASP Reggio Calabria",
                [("H224", "Reggio di Calabria", "RC")]
            ),
        ],
    },
    RegionData {
        code: "190",
        name: "Sicilia",
        weight: 82,
        asls: &[
            asl!("201", "ASP Agrigento", [("A089", "Agrigento", "AG")]),
            asl!("203", "ASP Catania", [("C351", "Catania", "CT")]),
            asl!("205", "ASP Messina", [("F158", "Messina", "ME")]),
            asl!("206", "ASP Palermo", [("G273", "Palermo", "PA")]),
            asl!("209", "ASP Trapani", [("L331", "Trapani", "TP")]),
        ],
    },
    RegionData {
        code: "200",
        name: "Sardegna",
        weight: 27,
        asls: &[
            asl!(
                "101",
                "ATS Sardegna - ASSL Cagliari",
                [("B354", "Cagliari", "CA")]
            ),
            asl!(
                "102",
                "ATS Sardegna - ASSL Sassari",
                [("I452", "Sassari", "SS")]
            ),
        ],
    },
];

/// Birthplaces abroad (`Z` codes), for assistiti born outside Italy.
pub const ABROAD: &[&str] = &["Z404", "Z110", "Z112", "Z129", "Z100", "Z210", "Z330"];
