/** Word lists for the DMR cache generator: real-looking places, names and free text, per country. */

/** A country the generator draws people and repeaters from. */
export interface Region {
  country: string
  /** Relative share of records. */
  weight: number
  /** Mobile country code: BrandMeister master servers are numbered `mcc * 10 + n`. */
  mcc: number
  /** Callsign prefixes; a prefix ending in a digit takes no extra digit. */
  prefixes: readonly string[]
  /** [city, state] pairs. */
  places: readonly (readonly [string, string])[]
  lat: number
  lng: number
  firstNames: readonly string[]
  surnames: readonly string[]
}

/** 'City:State|City:State' → pairs; keeps the tables below compact. */
function places(text: string): (readonly [string, string])[] {
  return text.split('|').map((pair) => {
    const [city = '', state = ''] = pair.split(':')
    return [city, state] as const
  })
}

const words = (text: string): string[] => text.split(' ')

export const REGIONS: readonly Region[] = [
  {
    country: 'United States',
    weight: 30,
    mcc: 310,
    prefixes: words('K W N KA KB KC KD KE KF KG KI KJ KK W1 AA AB AC AD AE AF AG AI'),
    places: places(
      'Bonny Doon:California|Walnut Creek:California|Murrieta:California|Springfield:Illinois|Naperville:Illinois|Austin:Texas|El Paso:Texas|Orlando:Florida|Jacksonville:Florida|Buffalo:New York|Brooklyn:New York|Seattle:Washington|Spokane:Washington|Denver:Colorado|Phoenix:Arizona|Louisville:Kentucky|Raleigh:North Carolina|Kaneohe:Hawaii|Anchorage:Alaska|Burlington:Vermont',
    ),
    lat: 38.5,
    lng: -97,
    firstNames: words('John Michael Robert David James William Richard Thomas Mary Linda Patricia Gary Dennis Jerry'),
    surnames: words('Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson Martin Thompson'),
  },
  {
    country: 'Canada',
    weight: 4,
    mcc: 302,
    prefixes: words('VE1 VE2 VE3 VE6 VE7 VA3 VA7'),
    places: places(
      'Toronto:Ontario|Ottawa:Ontario|Québec:Quebec|Montréal:Quebec|Calgary:Alberta|Vancouver:British Columbia|Halifax:Nova Scotia|Trois-Rivières:Quebec',
    ),
    lat: 49,
    lng: -90,
    firstNames: words('Wayne Pierre Jean-Guy Donald Brian Sylvie Marc Kevin'),
    surnames: words('Tremblay Gagnon Roy Côté MacDonald Campbell Bouchard Wilson'),
  },
  {
    country: 'Germany',
    weight: 12,
    mcc: 262,
    prefixes: words('DL DK DO DB DJ DG DH DM'),
    places: places(
      'München:Bayern|Nürnberg:Bayern|Würzburg:Bayern|Köln:Nordrhein-Westfalen|Düsseldorf:Nordrhein-Westfalen|Hamburg:Hamburg|Berlin:Berlin|Lübeck:Schleswig-Holstein|Göttingen:Niedersachsen|Stuttgart:Baden-Württemberg|Dresden:Sachsen|Saarbrücken:Saarland',
    ),
    lat: 51,
    lng: 10,
    firstNames: words('Jürgen Hans Klaus Wolfgang Günter Stefan Andreas Uwe Jörg Björn Sabine Dieter'),
    surnames: words('Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Koch Bauer Großmann'),
  },
  {
    country: 'United Kingdom',
    weight: 6,
    mcc: 234,
    prefixes: words('G M 2E0 M0 G4 G0 GM GW MI'),
    places: places(
      'Manchester:England|Leeds:England|Bristol:England|Norwich:England|Edinburgh:Scotland|Aberdeen:Scotland|Cardiff:Wales|Belfast:Northern Ireland',
    ),
    lat: 53,
    lng: -2,
    firstNames: words('Ian Nigel Graham Colin Stuart Alan Trevor Gareth Fiona'),
    surnames: words('Hughes Evans Roberts Walker Wright Clarke Patel McLeod'),
  },
  {
    country: 'Italy',
    weight: 6,
    mcc: 222,
    prefixes: words('IZ0 IZ2 IK2 IW1 I0 IU5 IT9'),
    places: places('Milano:Lombardia|Bergamo:Lombardia|Torino:Piemonte|Roma:Lazio|Napoli:Campania|Cagliari:Sardegna|Palermo:Sicilia|Forlì:Emilia-Romagna'),
    lat: 42.5,
    lng: 12.5,
    firstNames: words('Marco Giuseppe Luca Andrea Francesco Niccolò Paola Salvatore'),
    surnames: words('Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci'),
  },
  {
    country: 'Spain',
    weight: 5,
    mcc: 214,
    prefixes: words('EA1 EA3 EA4 EA5 EA7 EB EC'),
    places: places(
      'Madrid:Madrid|Barcelona:Cataluña|Valencia:Comunidad Valenciana|Sevilla:Andalucía|Málaga:Andalucía|A Coruña:Galicia|Logroño:La Rioja|Cádiz:Andalucía',
    ),
    lat: 40,
    lng: -3.7,
    firstNames: words('José Antonio Manuel Francisco Javier Jesús María Ángel'),
    surnames: words('García Fernández González Rodríguez López Martínez Sánchez Pérez'),
  },
  {
    country: 'France',
    weight: 3,
    mcc: 208,
    prefixes: words('F1 F4 F5 F6 F8'),
    places: places(
      'Nantes:Pays de la Loire|Lyon:Auvergne-Rhône-Alpes|Besançon:Bourgogne-Franche-Comté|Nîmes:Occitanie|Orléans:Centre-Val de Loire|Brest:Bretagne',
    ),
    lat: 46.5,
    lng: 2.5,
    firstNames: words('Jean François Stéphane Hervé Philippe Frédéric Hélène'),
    surnames: words('Martin Bernard Dubois Lefèvre Moreau Girard Rousseau'),
  },
  {
    country: 'Netherlands',
    weight: 3,
    mcc: 204,
    prefixes: words('PA PD PE PI1'),
    places: places('Sneek:Friesland|Utrecht:Utrecht|Den Haag:Zuid-Holland|Groningen:Groningen|Eindhoven:Noord-Brabant|Zwolle:Overijssel'),
    lat: 52.2,
    lng: 5.3,
    firstNames: words('Jan Pieter Henk Kees Willem Joost Anneke'),
    surnames: words('de Jong Jansen de Vries van den Berg Bakker Visser Smit'),
  },
  {
    country: 'Poland',
    weight: 3,
    mcc: 260,
    prefixes: words('SP SQ SO SN'),
    places: places('Kraków:Małopolskie|Wrocław:Dolnośląskie|Gdańsk:Pomorskie|Łódź:Łódzkie|Poznań:Wielkopolskie|Warszawa:Mazowieckie'),
    lat: 52,
    lng: 19.5,
    firstNames: words('Piotr Łukasz Krzysztof Andrzej Tomasz Paweł Grzegorz'),
    surnames: words('Nowak Kowalski Wiśniewski Wójcik Kamiński Lewandowski Zieliński'),
  },
  {
    country: 'Switzerland',
    weight: 2,
    mcc: 228,
    prefixes: words('HB9 HB3'),
    places: places('Zürich:Zürich|Genève:Genève|Bern:Bern|Luzern:Luzern|St. Gallen:St. Gallen|Lugano:Ticino'),
    lat: 46.8,
    lng: 8.2,
    firstNames: words('Urs Beat Reto Daniel Thomas Ruedi'),
    surnames: words('Müller Meier Schmid Keller Weber Huber Brunner'),
  },
  {
    country: 'Sweden',
    weight: 2,
    mcc: 240,
    prefixes: words('SM SA SK SE'),
    places: places('Malmö:Skåne|Göteborg:Västra Götaland|Åre:Jämtland|Stockholm:Stockholm|Umeå:Västerbotten|Örebro:Örebro'),
    lat: 60,
    lng: 15.5,
    firstNames: words('Björn Lars Anders Per Göran Åsa Mikael'),
    surnames: words('Andersson Johansson Karlsson Nilsson Eriksson Lindström Öberg'),
  },
  {
    country: 'Iceland',
    weight: 0.5,
    mcc: 274,
    prefixes: words('TF1 TF3 TF8'),
    places: places('Reykjavík:Höfuðborgarsvæðið|Akureyri:Norðurland eystra|Hafnarfjörður:Höfuðborgarsvæðið|Selfoss:Suðurland'),
    lat: 64.5,
    lng: -19.5,
    firstNames: words('Sigurður Jón Guðmundur Ólafur Þórður'),
    surnames: words('Jónsson Sigurðsson Guðmundsson Ólafsdóttir Þórsson'),
  },
  {
    country: 'Russia',
    weight: 3,
    mcc: 250,
    prefixes: words('R UA UA3 RA3 RN6 RZ9'),
    places: places('Москва:Москва|Санкт-Петербург:Санкт-Петербург|Новосибирск:Новосибирская область|Екатеринбург:Свердловская область|Казань:Татарстан'),
    lat: 55.7,
    lng: 37.6,
    firstNames: words('Иван Сергей Алексей Дмитрий Андрей Николай Ольга'),
    surnames: words('Иванов Смирнов Кузнецов Попов Васильев Петров Соколов'),
  },
  {
    country: 'Japan',
    weight: 3,
    mcc: 440,
    prefixes: words('JA1 JH1 JR2 JE3 JF6 7K1'),
    places: places('東京:東京都|大阪:大阪府|札幌:北海道|名古屋:愛知県|福岡:福岡県|横浜:神奈川県'),
    lat: 36,
    lng: 138,
    firstNames: words('Takeshi Hiroshi Kenji Yuki Satoshi 健一'),
    surnames: words('Sato Suzuki Takahashi Tanaka Watanabe 山本'),
  },
  {
    country: 'Brazil',
    weight: 5,
    mcc: 724,
    prefixes: words('PY2 PU2 PY1 PP5 PR7 PT9'),
    places: places(
      'São Paulo:São Paulo|Campinas:São Paulo|Rio de Janeiro:Rio de Janeiro|Belo Horizonte:Minas Gerais|Florianópolis:Santa Catarina|Brasília:Distrito Federal|Goiânia:Goiás',
    ),
    lat: -15.8,
    lng: -47.9,
    firstNames: words('João José Antônio Luís Sérgio Márcio Conceição'),
    surnames: words('Silva Santos Oliveira Souza Rodrigues Ferreira Araújo'),
  },
  {
    country: 'Australia',
    weight: 3,
    mcc: 505,
    prefixes: words('VK2 VK3 VK4 VK5 VK6'),
    places: places('Sydney:New South Wales|Newcastle:New South Wales|Melbourne:Victoria|Brisbane:Queensland|Adelaide:South Australia|Perth:Western Australia'),
    lat: -28,
    lng: 140,
    firstNames: words('Bruce Craig Darren Shane Trevor Kylie'),
    surnames: words('Smith Kelly Nguyen Murphy Ryan Mitchell'),
  },
  {
    country: 'Philippines',
    weight: 2,
    mcc: 515,
    prefixes: words('DU1 DW1 DV3 4F1 DU9'),
    places: places('Quezon City:Metro Manila|Makati:Metro Manila|Cebu City:Cebu|Davao City:Davao del Sur|Baguio:Benguet'),
    lat: 13,
    lng: 122,
    firstNames: words('Angel Jose Mark Ramon Ricardo Maricel'),
    surnames: words('Datuin Santos Reyes Cruz Bautista Dela Cruz'),
  },
  {
    country: 'Mexico',
    weight: 2,
    mcc: 334,
    prefixes: words('XE1 XE2 XE3 XF1'),
    places: places('Ciudad de México:Ciudad de México|Tijuana:Baja California|Nogales:Sonora|Monterrey:Nuevo León|Mérida:Yucatán'),
    lat: 23.6,
    lng: -102.5,
    firstNames: words('Luis Carlos Jesús Alejandro Guadalupe Héctor'),
    surnames: words('Hernández García Martínez López González Ramírez'),
  },
]

/** [spelling, weight] of `ipsc_network`, after the real repeater dump. */
export const NETWORKS: readonly (readonly [string, number])[] = [
  ['BM', 3472],
  ['Brandmeister', 1078],
  ['BrandMeister', 893],
  ['DMR-plus', 829],
  ['None', 446],
  ['DMR-MARC', 168],
  ['DMR', 156],
  ['NEDECN', 101],
  ['brandmeister', 73],
  ['DMR+', 55],
  ['BRANDMEISTER', 54],
  ['TGIF', 49],
  ['FreeDMR', 45],
  ['Western States DMR', 46],
  ['bm', 45],
  ['PNW Digital', 38],
  ['IPSC2', 28],
  ['Brandmiester', 23],
]

export const OFFSETS: readonly (readonly [string, number])[] = [
  ['+5.000', 3169],
  ['-7.600', 1691],
  ['-5.000', 1282],
  ['-0.600', 933],
  ['-2.000', 298],
  ['+0.600', 296],
  ['+5.00', 228],
  ['-9.000', 224],
  ['-9.400', 173],
  ['-7.6', 163],
  ['0.000', 150],
]

export const ASSIGNED: readonly (readonly [string | null, number])[] = [
  ['Peer', 50],
  ['Master', 37],
  [null, 13],
]
export const TS_LINKED: readonly (readonly [string | null, number])[] = [
  ['TS1 TS2', 80],
  ['TS1', 5],
  ['TS2', 5],
  ['Mixed Mode', 5],
  [null, 5],
]

export const DEVICE_KINDS: readonly {
  linkname: string
  hardware: readonly string[]
  firmware: readonly string[]
  statusText: string
  status: number
  repeater: boolean
}[] = [
  {
    linkname: 'MMDVM Host',
    hardware: words('MMDVM_HS_Hat MMDVM_HS_Dual_Hat ZUMspot_Libre_Kit MMDVM_HS_Hat_Duplex Jumbospot_UHF'),
    firmware: words('20240307_Pi-Star_v4.3.0 20231012_WPSD 20210617_Pi-Star 20250101_MMDVMHost'),
    statusText: 'DMR Hotspot',
    status: 3,
    repeater: false,
  },
  {
    linkname: 'Motorola IPSC',
    hardware: words('MTR3000 SLR5700 SLR8000 XPR8380 DR3000'),
    firmware: words('R02.10.12 R02.20.00 R01.07.01 R20.00.02'),
    statusText: 'DMR Repeater',
    status: 4,
    repeater: true,
  },
  {
    linkname: 'Hytera Multi-Site Connect',
    hardware: words('RD985 RD625 HR1065 RD965'),
    firmware: words('A9.00.07.001 A7.05.08.003 V1.40'),
    statusText: 'DMR Repeater',
    status: 4,
    repeater: true,
  },
  {
    linkname: 'openSPOT',
    hardware: words('openSPOT3 openSPOT4 openSPOT4_Pro'),
    firmware: words('0147 0152 1.6.1'),
    statusText: 'DMR Hotspot',
    status: 3,
    repeater: false,
  },
  {
    linkname: 'DMRGateway',
    hardware: words('MMDVM STM32-DVM DVMEGA_RPI Repeater_Builder'),
    firmware: words('20230606_MMDVM 20220211 1.4.17'),
    statusText: 'Linked',
    status: 2,
    repeater: true,
  },
]

/** Values a text template can mention. */
export interface TextContext {
  call: string
  other: string
  first: string
  last: string
  city: string
  talkgroup: number
  master: number
  date: string
  later: string
  hardware: string
}

/** Talkgroup lines of the kind repeater owners paste into `map_info`. */
export const TALKGROUP_LINES: readonly string[] = [
  'TS1 TG 91 BM WW (PTT)',
  'TS1 TG 93 BM NA (PTT)',
  'TS2 TG 2 Local Network',
  'TS2 TG 9 Local',
  'TS1 TG 3 North Am',
  'TS2 TG 3174 SE Regional',
  'TS2 TG 262 Deutschland',
  'TS1 TG 2621 Bayern/Baden-Württemberg',
  'TS2 TG 8 Regional',
  'TS1 TG 222 Italia',
  'TS2 TG 2350 UK Chat',
  'TS1 TG 214 España',
  'TS2 TG 4000 Disconnect',
]

export const MAP_INFO_SHORT: readonly ((c: TextContext) => string)[] = [
  (c) => `See ${c.last.toLowerCase().replace(/\s/g, '')}dmr.org`,
  (c) => `TS1 SARGE / TS2 TG${c.talkgroup} Local`,
  () => 'This ID is for repeater setup and testing. There is not a repeater here full time.',
  (c) => `Local repeater in ${c.city} with coverage from mobile from most of the city, clustered TG ${c.talkgroup} to the club repeaters.`,
  (c) => `${c.master}`,
]

export const MAP_INFO_HTML: readonly ((c: TextContext) => string)[] = [
  (c) => `${c.call} DMR Repeater<br><br>${c.city}<br><br>=Static Talkgroups=<br>`,
  (c) =>
    `<a href="https://www.qrz.com/db/${c.call}" target="_blank">${c.call}</a> repeater on the hill above ${c.city}, 25 W into a folded dipole at 40 m.<br>`,
  (c) =>
    `<b>${c.call}</b> - operated by the ${c.city} Amateur Radio Club. Visit <a href="https://${c.call.toLowerCase()}.club/">our website</a> for the net schedule.<br>`,
  (c) => `This repeater sits at 1000' on the tower site near ${c.city}. Linked to the "Wires-X" room on request.<br>`,
]

export const MAP_INFO_FOOTERS: readonly ((c: TextContext) => string)[] = [
  (c) => `<br>Contact Name: ${c.first} ${c.last} / ${c.other}<br>${c.other.toLowerCase()}@gmail.com`,
  (c) => `<br>Trustee: ${c.other}. Please report problems to the club e-mail.`,
  () => '<br><br>Dynamic talkgroups are dropped after 15 minutes of inactivity.',
]

export const VALIDATION_TEXT: readonly ((c: TextContext) => string)[] = [
  () => 'Validated',
  (c) => `Validated by callsign lookup on ${c.date}.`,
  () => '',
  (c) => `Validated automatically: callsign ${c.call} found in the national licence database on ${c.date}. Name and location match the licence record.`,
  (c) => `Validated manually by a RadioID volunteer on ${c.date} after review of the uploaded licence document (${c.call}, expires ${c.later}).`,
  (c) =>
    `Pending: the licence document uploaded on ${c.date} could not be read. Please upload a clear scan or photo of your current amateur radio licence showing callsign, full name and expiry date. Accepted formats: PDF, JPG, PNG (max 5 MB).`,
  (c) =>
    `Rejected: the callsign ${c.call} is not listed in the licence database under the name "${c.first} ${c.last}". If you changed your name or callsign recently, reply to the validation e-mail with the new licence attached.`,
  (c) =>
    `Re-validation required: the licence for ${c.call} expired on ${c.later}. Upload the renewed licence within 30 days to keep this ID; the previous validation from ${c.date} stays on record.`,
  (c) => `Validated (club station) on ${c.date}; trustee ${c.other} confirmed by e-mail. Secondary ID for a hotspot at ${c.city}.`,
]

export const HOTSPOT_DESCRIPTIONS: readonly ((c: TextContext) => string)[] = [
  (c) =>
    `Pi-Star hotspot at home QTH, ${c.city}. Running ${c.hardware} on a Raspberry Pi Zero 2 W. Static TG ${c.talkgroup} on TS2, please be patient with the network delay.`,
  (c) => `Mobile hotspot in the car of ${c.first} ${c.last} (${c.call}). Usually parked around ${c.city}; offline on long trips.`,
  (c) => `${c.hardware} duplex board, config in C:\\Users\\${c.first}\\Documents\\pistar-backup.zip. TG ${c.talkgroup} static, "auto-static" off.`,
  () => 'Hotspot',
]

export const REPEATER_DESCRIPTIONS: readonly ((c: TextContext) => string)[] = [
  (c) =>
    `${c.call} repeater, ${c.city}. Coverage roughly 40 km from the site; antenna at 35 m AGL. Local TG ${c.talkgroup} on TS2, regional and worldwide on TS1 by PTT.`,
  (c) => `Club repeater maintained by ${c.other}. Config backups live in C:\\DMR\\${c.call}\\codeplug.rdt on the club PC; ask before changing talkgroups.`,
  (c) => `Linked 24/7 to TG ${c.talkgroup} and to the "${c.city} Net" every Tuesday 20:00 local time. Master ${c.master}.`,
  (c) => `${c.hardware} at ${c.city}, 50 W, duplexer and cavity filters. Battery backup for 8 hours.`,
]

export const PRIORITY_DESCRIPTIONS: readonly ((c: TextContext) => string)[] = [
  (c) => `Emergency traffic has priority on TS1 TG ${c.talkgroup} during exercises and real events.`,
  () => 'RAYNET / ARES priority traffic on TS1; casual QSOs please move to TS2.',
  (c) => `Priority: local TG ${c.talkgroup} overrides dynamic groups for the ${c.city} weekly net.`,
]
