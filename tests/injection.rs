//! Injection evidence: genuine mentions must not score as injected, injections
//! must, on realistic text written for these tests.

use proptest::prelude::*;
use spamsift::injection::{HitSpan, Judge, Reason, mark_copy_differences};

/// The hits of `keywords` in `doc`: every occurrence of each `(as written,
/// canonical)` pair, as a dictionary detector would report them.
fn hits<'k>(doc: &str, keywords: &[(&'k str, &'k str)]) -> Vec<HitSpan<'k>> {
    let mut out: Vec<HitSpan<'k>> = Vec::new();
    for &(written, canonical) in keywords {
        for (i, m) in doc.match_indices(written) {
            let overlaps = out.iter().any(|h| i < h.end && h.start < i + m.len());
            if !overlaps {
                out.push(HitSpan::new(i, i + m.len(), canonical, "gambling"));
            }
        }
    }
    out.sort_by_key(|h| h.start);
    out
}

/// `(name, keywords as (written, canonical), document)`.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

const GENUINE: &[Case] = &[
    (
        "court report naming the betting site",
        &[("金博体育", "金博体育")],
        "被告人张某某自2019年起在境外赌博网站“金博体育”上注册账户，发展下线会员三十余人，\
         组织他人投注，涉案赌资共计二百余万元。法院审理认为，被告人以营利为目的开设赌场，\
         情节严重，依法判处有期徒刑三年，并处罚金五万元。",
    ),
    (
        "police raid of a gambling den",
        &[("皇冠体育", "皇冠体育")],
        "近日，市公安局治安支队民警根据群众举报，在城西一处民房内捣毁一个赌博窝点，\
         现场抓获参赌人员12名，查获赌资3万余元。经查，该团伙长期以“皇冠体育”为名\
         在微信群内招揽赌客，目前案件正在进一步侦查中。",
    ),
    (
        "police warning about overseas casino sites",
        &[("澳门新葡京", "澳门新葡京"), ("太阳城官网", "太阳城官网")],
        "警方提醒：所谓“澳门新葡京”“太阳城官网”等境外赌博网站，均为不法分子搭建的诈骗平台，\
         先让受害人小额盈利，再诱导大额充值后关闭提现通道。市民如发现此类网站，请及时报警。",
    ),
    (
        "venue listing for a mahjong room",
        &[("棋牌室", "棋牌室")],
        "棋牌室转让：本店位于人民路88号二楼，面积120平方米，装修完毕，设包间8个，\
         可停车，因本人另有发展现低价转让，有意者请联系电话13812345678王先生。",
    ),
    (
        "lottery policy news on a halted game",
        &[("重庆时时彩", "重庆时时彩")],
        "财政部近日公布数据，1至5月全国共销售彩票2300亿元，同比增长12.5%。其中，\
         福利彩票机构销售980亿元，体育彩票机构销售1320亿元。按照彩票管理有关规定，\
         重庆时时彩等高频快开游戏已于2019年起停止销售，互联网销售彩票仍处于暂停状态。",
    ),
    (
        "a man ruined by an online lottery game",
        &[("时时彩", "时时彩")],
        "王某沉迷时时彩三年，先后输光积蓄四十余万元，还欠下网贷十余万元，妻子多次劝他戒赌无果。\
         今年3月，走投无路的他主动向派出所报警求助，民警帮助他联系了家人。",
    ),
    (
        "court report on a casino-app developer",
        &[("开元棋牌", "开元棋牌")],
        "经审理查明，被告人李某为牟取非法利益，受他人雇佣开发、维护“开元棋牌”网络赌博平台，\
         非法获利12万元。法院以开设赌场罪判处李某有期徒刑二年六个月，并处罚金三万元，\
         追缴违法所得。",
    ),
    (
        "crackdown statistics naming brands",
        &[("亚博体育", "亚博体育"), ("万博体育", "万博体育")],
        "今年以来，省公安厅组织开展打击跨境赌博专项行动，共破获相关案件312起，\
         抓获犯罪嫌疑人1260名，关停“亚博体育”“万博体育”等赌博网站170余个，冻结涉案资金4.6亿元。",
    ),
    (
        "porn crackdown naming an app",
        &[("小蝌蚪app", "小蝌蚪app")],
        "“净网”专项行动中，网警查处了一批传播淫秽色情信息的违法应用，其中“小蝌蚪app”\
         以直播为名组织色情表演，其运营团伙12人已被依法刑事拘留。",
    ),
    (
        "fraud trial over fake invoices",
        &[("代开发票", "代开发票")],
        "检察机关指控，被告人陈某在网上发布“代开发票”广告，先后为多家企业虚开增值税普通发票\
         300余份，涉案金额800余万元。目前案件仍在审理中。",
    ),
    (
        "hotel news about a real casino resort",
        &[("澳门新葡京", "澳门新葡京")],
        "澳门特区政府博彩监察协调局表示，澳门新葡京等六家承批公司须于年底前完成赌台数量申报，\
         监察协调局将依法审理各公司的营业报告。",
    ),
];

const INJECTED: &[Case] = &[
    (
        "brand glued to a title, no separator (the seed)",
        &[("金博体育", "金博体育")],
        "金博体育省政府新闻办举行“五区共兴”第二场主题发布会\n\n\
         发布时间:2023-05-09 21:08:34 人气: 作者:小编\n\n\
         5月8日,省政府新闻办在成都举行“五区共兴”系列主题新闻发布会第二场成都平原经济区专场。\
         作为全省产业基础最好、经济发展最活跃、创新能力最强、开放程度最高的区域,\
         成都平原经济区如何激荡率先发展的澎湃动能?",
    ),
    (
        "brand before a colon in a title",
        &[("新皇冠体育", "新皇冠体育")],
        "新皇冠体育：得州一商场发生枪击 造成8人死亡\n\
         当地时间6日下午，美国得克萨斯州达拉斯北部一家购物中心发生枪击，造成包括枪手在内的\
         8人死亡，另有7人受伤被送往医院救治。",
    ),
    (
        "title suffix after an underscore",
        &[("万彩娱乐平台", "万彩娱乐平台")],
        "数字经济推动制造业深刻变革_万彩娱乐平台\n\
         数字技术与实体经济深度融合，正在推动制造业生产方式和企业形态发生根本性变革。\
         专家表示，要加快工业互联网建设，推动企业上云用数赋智。",
    ),
    (
        "title suffix after a dash",
        &[("亚博体育官网", "亚博体育官网")],
        "北京冬奥会场馆赛后利用方案公布-亚博体育官网\n\
         记者从北京冬奥组委获悉，国家速滑馆、国家游泳中心等场馆将在赛后向公众开放，\
         承接群众体育活动和国际赛事。",
    ),
    (
        "mid-sentence splice in economic news",
        &[("开云体育", "开云体育")],
        "今年一季度，全市规模以上工业增加值同比增长6.2%，高于全省平均水平开云体育1.3个百分点。\
         其中，高技术制造业增加值增长11.5%，对全市工业增长的贡献率达到四成。",
    ),
    (
        "splice before a full stop",
        &[("金博体育", "金博体育")],
        "从产业来看，区域产业集群加快壮大。成都都市圈累计实施923个重大项目，\
         1490家企业开展跨市域产业协作金博体育。成都软件和信息服务入选国家先进制造业集群。",
    ),
    (
        "lottery ad sentence with a WeChat id",
        &[("北京pk10", "北京pk10"), ("快三计划", "快三计划")],
        "市农业农村局近日发布春耕备耕工作指引，要求各地抓好种子、化肥等农资供应。\
         免费北京pk10 时时彩 快三计划加（微信：abc12345）稳赚不赔。\
         指引还提出，要加强农机具检修，确保春耕生产顺利进行。",
    ),
    (
        "brand with a bare domain in health news",
        &[("华体会体育", "华体会体育")],
        "专家提醒，春季是过敏性鼻炎高发期，外出时应佩戴口罩，回家后及时清洗鼻腔。\
         华体会体育 hth888.com 注册就送88元。过敏体质人群应在医生指导下用药。",
    ),
    (
        "several brands together",
        &[
            ("澳门新葡京", "澳门新葡京"),
            ("皇冠体育", "皇冠体育"),
            ("亚博体育", "亚博体育"),
        ],
        "第十九届亚运会游泳比赛今日结束，中国队共获得28枚金牌。澳门新葡京 皇冠体育 亚博体育 \
         全网信誉最好的平台。中国游泳队领队表示，队员们在本届比赛中展现了良好的精神面貌。",
    ),
    (
        "repeated brand at unrelated places",
        &[("必威体育", "必威体育")],
        "必威体育今年我国粮食总产量达到6.9亿吨，连续八年稳定在1.3万亿斤以上。\n\
         农业农村部表示，必威体育将继续实施藏粮于地、藏粮于技战略，\
         加快高标准农田建设，必威体育提升粮食综合生产能力。",
    ),
    (
        "traditional-character brand spliced into sports news",
        &[("金博體育", "金博体育")],
        "在昨晚进行的世界女排联赛中，中国女排以3比0战胜日本队金博體育，取得三连胜。\
         主教练赛后表示，年轻队员们在比赛中发挥稳定，值得肯定。",
    ),
    (
        "brand glued to a paragraph start",
        &[("乐鱼体育", "乐鱼体育")],
        "市气象台发布暴雨蓝色预警\n\
         乐鱼体育5月8日，市气象台发布暴雨蓝色预警信号，预计未来24小时我市大部分地区\
         将出现大到暴雨，局部地区伴有雷电和短时强降水，请市民注意防范。",
    ),
];

fn show(judge: &Judge, name: &str, doc: &str, hs: &[HitSpan<'_>]) -> String {
    let v = judge.judge(doc, hs);
    let mut s = format!("{name}: doc score {:.2}\n", v.score);
    for (h, hv) in hs.iter().zip(&v.hits) {
        let reasons: Vec<String> = hv.reasons.iter().map(Reason::to_string).collect();
        s += &format!(
            "  {:?} @{} score {:.2} injected {} [{}]\n",
            &doc[h.start..h.end],
            h.start,
            hv.score,
            hv.injected,
            reasons.join(", ")
        );
    }
    s
}

#[test]
fn genuine_mentions_are_not_injected() {
    let judge = Judge::new();
    let mut failures = String::new();
    for &(name, kws, doc) in GENUINE {
        let hs = hits(doc, kws);
        assert!(!hs.is_empty(), "{name}: no hit of {kws:?}");
        let v = judge.judge(doc, &hs);
        if v.hits.iter().any(|h| h.injected) {
            failures += &show(&judge, name, doc, &hs);
        }
    }
    assert!(failures.is_empty(), "judged injected:\n{failures}");
}

#[test]
fn injections_are_injected() {
    let judge = Judge::new();
    let mut failures = String::new();
    for &(name, kws, doc) in INJECTED {
        let hs = hits(doc, kws);
        assert!(!hs.is_empty(), "{name}: no hit of {kws:?}");
        let v = judge.judge(doc, &hs);
        // Every hit must be injected, and by more than the prior alone.
        if v.hits.iter().any(|h| !h.injected || h.score < 0.75) {
            failures += &show(&judge, name, doc, &hs);
        }
    }
    assert!(failures.is_empty(), "judged genuine or weakly:\n{failures}");
}

#[test]
fn print_table() {
    let judge = Judge::new();
    for &(name, kws, doc) in GENUINE.iter().chain(INJECTED) {
        print!("{}", show(&judge, name, doc, &hits(doc, kws)));
    }
}

/// The seed page: all 7 splices are injected, with the reasons expected of
/// them.
#[test]
fn seed_page() {
    let doc = include_str!("data/000_214c2e03461503b2.txt");
    let hs = hits(doc, &[("金博体育", "金博体育")]);
    assert_eq!(hs.len(), 7);
    let judge = Judge::new();
    let v = judge.judge(doc, &hs);
    print!("{}", show(&judge, "seed", doc, &hs));
    assert!(v.hits.iter().all(|h| h.injected), "{v:?}");
    assert!(v.score > 0.9);
    assert_eq!(v.injected, 7);
    assert!(matches!(
        v.hits[0].reasons[0],
        Reason::TitleAffix {
            separator: None,
            ..
        }
    ));
    assert!(
        v.hits
            .iter()
            .all(|h| h.reasons.contains(&Reason::Repetition { count: 7 }))
    );
    let splices = v
        .hits
        .iter()
        .filter(|h| h.reasons.iter().any(|r| matches!(r, Reason::Splice { .. })))
        .count();
    assert!(splices >= 5, "only {splices} splices");
}

#[test]
fn copy_difference_marks_and_counts() {
    let para = "成都都市圈累计实施923个重大项目，1490家企业开展跨市域产业协作金博体育。";
    let copy = "成都都市圈累计实施923个重大项目，1490家企业开展跨市域产业协作。";
    let mut hs = hits(para, &[("金博体育", "金博体育")]);
    mark_copy_differences(&mut hs, 0..para.len(), &[copy]);
    assert!(hs[0].absent_in_copy);
    let v = Judge::new().judge(para, &hs);
    assert!(v.hits[0].reasons.contains(&Reason::CopyDifference));
    // A copy that has the keyword too, disguised, is no difference.
    let mut hs = hits(para, &[("金博体育", "金博体育")]);
    mark_copy_differences(&mut hs, 0..para.len(), &["协作金 博體育。"]);
    assert!(!hs[0].absent_in_copy);
}

#[test]
fn thresholds_are_tunable() {
    let (name, kws, doc) = GENUINE[0];
    let hs = hits(doc, kws);
    let strict = Judge::builder().injected_threshold(0.0).build().unwrap();
    assert!(strict.judge(doc, &hs).hits[0].injected, "{name}");
    let lax = Judge::builder().injected_threshold(1.0).build().unwrap();
    let (_, kws, doc) = INJECTED[0];
    assert!(!lax.judge(doc, &hits(doc, kws)).hits[0].injected);
}

proptest! {
    /// Any haystack, any spans: no panic, scores in [0, 1], one verdict per hit.
    #[test]
    fn never_panics(doc in "\\PC{0,80}", spans in prop::collection::vec((0usize..400, 0usize..400), 0..6)) {
        let hs: Vec<HitSpan> = spans.iter().map(|&(a, b)| HitSpan::new(a, b, "kw", "spam")).collect();
        let v = Judge::new().judge(&doc, &hs);
        prop_assert_eq!(v.hits.len(), hs.len());
        for h in &v.hits {
            prop_assert!((0.0..=1.0).contains(&h.score));
        }
    }
}

/// Through `scan`: a genuine mention is reported but not injected, and
/// cleaning removes only the injected hit.
#[test]
fn scan_cleans_only_injected_hits() {
    use spamsift::scan::clean::{apply, removals};
    use spamsift::scan::{Event, Format, Input, Scanner};
    let court = GENUINE[0].2;
    let spam = INJECTED[5].2;
    let inputs = vec![
        Input::reader("court", std::io::Cursor::new(court.as_bytes().to_vec()))
            .with_format(Format::Text),
        Input::reader("spam", std::io::Cursor::new(spam.as_bytes().to_vec()))
            .with_format(Format::Text),
    ];
    let mut cleaned = Vec::new();
    Scanner::new()
        .unwrap()
        .scan(inputs, |e| {
            if let Event::Part(part) = e {
                assert_eq!(part.hits.len(), 1, "{}", part.doc);
                let h = &part.hits[0];
                assert_eq!(h.injected, &*part.doc == "spam", "{h:?}");
                assert!(!h.reasons.is_empty(), "{h:?}");
                cleaned.push(apply(&part.text, part.offset, &removals(part)));
            }
            Ok(())
        })
        .unwrap();
    assert!(cleaned[0].contains("金博体育"), "{}", cleaned[0]);
    assert!(!cleaned[1].contains("金博体育"), "{}", cleaned[1]);
}
