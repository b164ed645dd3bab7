/**
 * Builds data/behaviour/suite.json, the CheckList-style behaviour suite (see src/evaluation/behaviour.ts).
 * This file is the source of the suite: the hand-written cases are listed below, and the long reviews are
 * composed by a seeded generator from sentences written here (neutral product detail per category, plus
 * verdict sentences), so the output is the same on every run. Edit cases here, then rebuild:
 *
 *   npx tsx bench/behaviour-suite-build.ts
 *
 * Labels were written as a careful human would give them, before any model was run on the texts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Sentiment, seededRandom, shuffleInPlace } from '../src/core/index.js';
import type { BehaviourCase, Capability } from '../src/evaluation/index.js';

const OUT = join(import.meta.dirname, '..', 'data', 'behaviour', 'suite.json');
const SEED = 20_240_611;

type Row = readonly [text: string, expected: Sentiment, note?: string];
const P = 'positive' as const;
const N = 'negative' as const;
const U = 'neutral' as const;

// 1. Negation: negated negatives read positive, negated positives read negative.
const NEGATION: Row[] = [
  ['No complaints at all about this air fryer after six weeks of daily use.', P, 'negated negative'],
  ['Not a single scratch on the screen protector after three months in a pocket with my keys.', P, 'negated negative'],
  ['I honestly have nothing bad to say about these hiking socks.', P, 'negated negative'],
  ['Never had a problem with this router, not even once since I set it up in March.', P, 'negated negative'],
  ["The kids haven't managed to break this toy truck yet, and believe me they have tried.", P, 'negated negative'],
  ['Not disappointed in the slightest. The lipstick stays put all day.', P, 'negated negative'],
  ['This drill has not stalled on a single screw, not even in the old oak beams.', P, 'negated negative'],
  ["The bookshelf didn't wobble at all once assembled, and no parts were missing.", P, 'negated negative'],
  ['No leaks, no rust and no regrets with this watering can.', P, 'negated negative'],
  ["I can't find a single fault with this phone case.", P, 'negated negative'],
  ['Not once has this kettle taken more than two minutes to boil.', P, 'negated negative'],
  ['The coffee beans were not stale or bitter in the least, unlike the last brand I tried.', P, 'negated negative'],
  ['There is nothing I dislike about this novel.', P, 'negated negative'],
  ['The jeans did not shrink and the colour has not faded after ten washes.', P, 'negated negative'],
  ["Can't complain about anything. The garden hose doesn't kink and doesn't drip.", P, 'negated negative'],
  ['Not too tight, not too loose: these running shoes fit without any issues.', P, 'negated negative'],
  ['The charger never overheats, and the connection has never dropped.', P, 'negated negative'],
  ["This moisturiser didn't irritate my sensitive skin at all. No redness, no itching.", P, 'negated negative'],
  ['Not good at all. I expected far more from this food processor.', N, 'negated positive'],
  ['I would not recommend this sofa to anyone.', N, 'negated positive'],
  ['This tablet is not worth the money.', N, 'negated positive'],
  ["The headphones don't sound good, and the bass isn't impressive either.", N, 'negated positive'],
  ['Not happy with this purchase. The dress is nothing like what I ordered.', N, 'negated positive'],
  ["I can't say I enjoyed this book; it never got interesting.", N, 'negated positive'],
  ['The paint is not durable and the toy car is not sturdy.', N, 'negated positive'],
  ['Never buying this brand of shampoo again.', N, 'negated positive'],
  ["The knife set isn't sharp, isn't balanced and isn't worth half the price.", N, 'negated positive'],
  ["I didn't like the taste of this granola at all.", N, 'negated positive'],
  ['Not the quality I was hoping for. The stitching on the backpack is not neat.', N, 'negated positive'],
  ["This phone case does not fit properly and doesn't protect anything.", N, 'negated positive'],
  ["The lawn mower is not reliable; it doesn't start on the first pull, or the fifth.", N, 'negated positive'],
  ['Nobody in my family liked these cookies.', N, 'negated positive'],
  ['The instructions are not clear and the screws are not the right size.', N, 'negated positive'],
  ['This jacket is not comfortable, not warm and nothing like the photos.', N, 'negated positive'],
  ['No, I would not buy this smartwatch again.', N, 'negated positive'],
  ["Not impressed. The desk chair isn't as comfortable as the listing claims.", N, 'negated positive'],
];

// 2. Contrast: the clause after the contrast marker decides.
const CONTRAST: Row[] = [
  ['The box was crushed when it arrived, but the stand mixer inside works perfectly.', P, 'but, positive after'],
  ['Although delivery took almost three weeks, this is the best kettle I have ever owned.', P, 'although at start'],
  ['The instructions were confusing; however, once assembled the desk feels rock solid.', P, 'however'],
  ["It's a bit pricey, but the sound quality of these earbuds is outstanding.", P, 'but'],
  ['I was sceptical at first, yet this serum cleared up my skin in two weeks.', P, 'yet'],
  ['Though the colour is slightly darker than pictured, I love how this sweater fits.', P, 'though at start'],
  ['The first chapter drags, but after that I could not put the book down.', P, 'but'],
  ['Setup was a pain; however, the security camera has worked flawlessly ever since.', P, 'however'],
  ['The smell is strong at first, but it fades within a day and the yoga mat grips really well.', P, 'but'],
  [
    'Even though one piece was missing, customer service sent it within two days and the puzzle is lovely.',
    P,
    'even though at start',
  ],
  ["It's heavier than I expected, but it's the sturdiest hose reel I've had.", P, 'but'],
  ['The packaging was plain, yet the chocolate inside was rich and delicious.', P, 'yet'],
  ['I almost returned these boots after the first day, but once broken in they are the comfiest pair I own.', P, 'but'],
  ['Not the cheapest power bank out there, but it charges my phone three times over and never gets hot.', P, 'but'],
  ['Except for a slightly loud fan, this laptop is fantastic.', P, 'except at start'],
  ['My son loses interest in most toys within a day, but this building set has kept him busy for weeks.', P, 'but'],
  ['The cable is shorter than I would like; still, the charger is fast and reliable.', P, 'still'],
  ['At first I thought the screwdriver bits looked flimsy, but they have survived every job so far.', P, 'but'],
  ['I wanted to love this raincoat, but the zip broke on the second day.', N, 'but, negative after'],
  ['The design is gorgeous; unfortunately, the lamp flickers constantly.', N, 'unfortunately'],
  ["The blender looks great on the counter, but it can't crush ice and it leaks from the base.", N, 'but'],
  ['It arrived quickly and well packed; sadly, the vacuum stopped charging after a week.', N, 'sadly'],
  ['Although the price was tempting, the sheets pilled after a single wash.', N, 'although at start'],
  ['Great reviews online, but this mascara clumps and flakes off by lunchtime.', N, 'but'],
  ['It fit nicely at first, however the fabric stretched and now the shirt hangs like a sack.', N, 'however'],
  ['The story starts strong, though the ending was so rushed that it ruined the whole book for me.', N, 'though'],
  ["Cute design and the kids were excited, yet the doll's arm snapped off within an hour.", N, 'yet'],
  ['The seller was friendly, but the phone case cracked the first time I dropped it.', N, 'but'],
  [
    'The office chair is comfortable, except that it sinks to its lowest height every few minutes, which makes it useless.',
    N,
    'except',
  ],
  [
    'The saw cuts fine for a few minutes; unfortunately, the battery dies long before any job is done.',
    N,
    'unfortunately',
  ],
  ['Lovely flavour, but half the bag of coffee was stale and had to go in the bin.', N, 'but'],
  ['The cushions are soft, but the sofa frame creaks and one leg came loose within a month.', N, 'but'],
  [
    'Though it charged my phone at first, the wireless pad now overheats and shuts off constantly.',
    N,
    'though at start',
  ],
  ['The seeds came in beautiful packaging; sadly, not one of them germinated.', N, 'sadly'],
  [
    'The headphones feel premium in the hand, but the left side cut out after ten days and support ignored me.',
    N,
    'but',
  ],
  ['I really liked the idea of this toaster; however, it burns one side and leaves the other raw.', N, 'however'],
];

// 3. Rating statements: an explicit rating decides.
const RATING: Row[] = [
  ['5/5 for this slow cooker, no hesitation.', P, '5/5'],
  ['10/10 would recommend these wireless earbuds.', P, '10/10'],
  ['Solid 4 stars. The drawers slide smoothly.', P, '4 stars'],
  ['Five stars from me for this garden kneeler.', P, 'five stars'],
  ["I'd rate this phone stand 9 out of 10.", P, '9/10'],
  ['Easily a five-star novel.', P, 'five-star'],
  ['Rating: 5/5. Comfortable and true to size.', P, '5/5'],
  ['4.5 stars. The only thing missing is a carry bag.', P, '4.5 stars'],
  ['Giving this jigsaw 5 stars without a second thought.', P, '5 stars'],
  ['A well-deserved 4/5 for this hair dryer.', P, '4/5'],
  ['Full marks for this cast iron pan.', P, 'full marks'],
  ["5 stars!!! The dog hasn't left this bed since it arrived.", P, '5 stars'],
  ["I'm giving this torch a 9/10.", P, '9/10'],
  ['Four stars, docking one only because the cable is short.', P, 'four stars'],
  ['Five stars, no question, for this tent.', P, 'five stars'],
  ['Completely satisfied: 5 out of 5 for the body lotion.', P, '5 out of 5'],
  ['2/5, would not repurchase this vacuum.', N, '2/5'],
  ['One star. The wallet fell apart.', N, 'one star'],
  ["I'd give this lamp zero stars if I could.", N, 'zero stars'],
  ['1/10 for this toy kitchen.', N, '1/10'],
  ['Two stars at best for these leggings.', N, 'two stars'],
  ['Rating: 1 out of 5.', N, '1 out of 5'],
  ["Giving it 1 star because 0 isn't an option.", N, '1 star'],
  ['Half a star, and that is for the pretty box.', N, 'half a star'],
  ['2 out of 10. Would not order this tea again.', N, '2/10'],
  ['A one-star read for me.', N, 'one-star'],
  ['1/5 for this pillow.', N, '1/5'],
  ["Two stars, and I'm being generous.", N, 'two stars'],
  ['This phone holder gets a 3/10 from me.', N, '3/10'],
  ['Minus five stars if that were possible.', N, 'minus five stars'],
  ['A generous 2 stars for the garden chairs.', N, '2 stars'],
  ['1 star. Save your money.', N, '1 star'],
  ['Three stars. Fine for what I paid.', U, 'three stars'],
  ['Giving this 3 out of 5: it does the job, nothing more.', U, '3 out of 5'],
  ['3/5 for the bath towels.', U, '3/5'],
  ['Middle of the road, 5 out of 10.', U, '5/10'],
  ["I'd put this backpack at a 3 out of 5.", U, '3 out of 5'],
  ['Three stars, an average dinner set.', U, 'three stars'],
  ['Rating: 3/5. An average book.', U, '3/5'],
  ['3 stars for the mixing bowls. Nothing special either way.', U, '3 stars'],
];

// 4. Neutral: plain, lukewarm or purely factual.
const NEUTRAL: Row[] = [
  ["It's okay. It does what the listing says and that's about it.", U, 'lukewarm'],
  ['Normal quality for a normal price.', U, 'lukewarm'],
  ['Arrived on Thursday. Grey, same as the photos.', U, 'factual'],
  ["Haven't used the tent long enough to have an opinion yet.", U, 'no opinion yet'],
  ['The mug holds about 350 ml and is dishwasher safe according to the label.', U, 'factual'],
  ["Bought this as a gift, so I can't comment on how it works.", U, 'no opinion'],
  ['The package contained the router, a power adapter and one ethernet cable.', U, 'factual'],
  ["It's a standard HDMI cable. Nothing more to say.", U, 'lukewarm'],
  ['Size medium, fits like every other medium I own.', U, 'factual'],
  ['The book is 320 pages, paperback, with a map at the front.', U, 'factual'],
  ["Received the item. Will update after I've tried it.", U, 'no opinion yet'],
  ['Neither impressed nor disappointed with this desk lamp.', U, 'lukewarm'],
  ["It's a spatula. It flips things.", U, 'lukewarm'],
  ['The plant arrived in a 12 cm pot and is about 30 cm tall.', U, 'factual'],
  ["Some of the tea flavours are nice and some I didn't care for, so it evens out.", U, 'mixed'],
  ['Works about as well as the cheaper version I had before.', U, 'lukewarm'],
  ['The cream has a light scent and absorbs at a normal speed.', U, 'factual'],
  ['Ok.', U, 'lukewarm'],
  ['The toy needs three AA batteries, which are not included.', U, 'factual'],
  ['It is a basic phone case. Clear plastic, thin, covers the corners.', U, 'factual'],
  ['The chair is 45 cm wide and the seat height adjusts from 42 to 52 cm.', U, 'factual'],
  ['Does the job. Not great, not terrible.', U, 'lukewarm'],
  ["My daughter uses it; she says it's alright.", U, 'lukewarm'],
  ['Ordered the black one, got the black one.', U, 'factual'],
  ['The hammer weighs a bit under half a kilo and has a rubber grip.', U, 'factual'],
  ['Pretty average pasta sauce, tastes like most jarred ones.', U, 'lukewarm'],
  ['Comes in a cardboard box with no instructions; assembly is obvious anyway.', U, 'factual'],
  ['Replaced our old toaster with this one. It toasts bread.', U, 'lukewarm'],
  ['I use this charger at work and it charges my phone at the usual speed.', U, 'factual'],
  ['The seeds are for cherry tomatoes and the packet says to sow them in spring.', U, 'factual'],
  ['Standard pillowcases, cotton, in a pack of two.', U, 'factual'],
  ["No strong opinion on this one. It's a coat hanger.", U, 'lukewarm'],
];

// 5. Sarcasm over a negative fact: reads negative.
const SARCASM: Row[] = [
  ['Oh wonderful, the handle came off the frying pan the very first time I picked it up.', N],
  ['Great, yet another charging cable that stopped working after a week.', N],
  ["Thanks so much for the 'waterproof' watch that filled with water in the shower.", N],
  ["Love how everything sticks to this 'non-stick' pan.", N],
  ["Fantastic. The 'unbreakable' toy lasted a whole ten minutes.", N],
  ["Brilliant design: the lid doesn't actually fit the container.", N],
  ['Just what I always wanted, a jumper that unravels the first time I wear it.', N],
  ['Wow, a phone case that cracks if you look at it. Amazing engineering.', N],
  ['Perfect, the chair wobbles and squeaks every time I breathe.', N],
  ["Oh good, the 'express' delivery only took five weeks.", N],
  ['Nothing says quality like a shelf that collapses under three paperbacks.', N],
  ['Such a treat to spend two hours assembling a desk with half the screws missing.', N],
  ['Yay, the hair straightener burned my hand and barely straightened anything.', N],
  ['Top marks for creativity: the seller sent me a completely different blender.', N],
  ["Really impressed that the 'leak-proof' bottle soaked my entire bag.", N],
  ['What a bargain, a lawn mower that runs for two minutes at a time.', N],
  ['Love spending my weekend returning headphones that only play in one ear.', N],
  ["Great job on the 'extra long' cable that doesn't reach my nightstand.", N],
  ['Oh joy, the foundation turned my face orange.', N],
  ['Best book ever, if you enjoy 400 pages in which nothing happens.', N],
  ['Superb quality control: the mug came with a hole in the bottom.', N],
  ["Cool, the 'stainless' steel knife rusted after one wash.", N],
  ['Awesome, the drill battery lasts long enough to drill exactly one hole.', N],
  ["Amazing how the 'all-weather' garden cover blew apart in the first breeze.", N],
  ["So glad I paid extra for 'premium' coffee that tastes like burnt cardboard.", N],
  ['Wonderful customer service: they told me to just buy another one.', N],
  ['Impressive, a 1000-piece puzzle, minus the twelve pieces that were missing.', N],
  ["Nice touch that the 'rechargeable' robot stopped charging on day two.", N],
  ["Oh sure, 'fits all phones', except mine and my husband's.", N],
  ['Terrific, the screen protector is full of bubbles no matter what I do.', N],
  ["Thrilled that my 'machine washable' dress came out of the wash in three pieces.", N],
  ['Gorgeous sofa, as long as you never sit on it: the springs poke right through.', N],
];

// 6. Emoji carry or reinforce the verdict.
const EMOJI: Row[] = [
  ['Love this lamp 😍😍', P],
  ['Best headphones ever 🎧🔥🔥', P],
  ['My daughter is obsessed with this doll 🥰', P],
  ['Perfect fit 👌 ordering another colour', P],
  ['So cosy 😊☕ the mug keeps coffee hot for ages', P],
  ['🙌🙌 finally a phone mount that stays put', P],
  ['Smells amazing 😍 and lasts all day', P],
  ['Five minutes to assemble and it looks fab 👏', P],
  ["Yum 😋😋 best granola I've tried", P],
  ['Tomatoes are growing like crazy 🍅🌱😄', P],
  ['This drill is a beast 💪💯', P],
  ["Couldn't put it down 📖❤️", P],
  ['Happy with this charger 😀👍', P],
  ['Arrived broken 😡👎', N],
  ['Worst purchase this year 🤮', N],
  ['Zip broke after a week 😤', N],
  ['Cheap plastic, snapped in half 💔😠', N],
  ['Burnt my toast and nearly the kitchen 🔥😱👎', N],
  ['Rash all over my face after one use 😭', N],
  ['Stopped charging after two days 👎👎', N],
  ['Tastes awful 🤢', N],
  ['Total waste of money 💸🙄', N],
  ['Missing half the pieces 😞', N],
  ["Wobbles like crazy, don't bother 🙅‍♀️", N],
  ['The colour ran all over my other clothes 😩', N],
  ['Still waiting for my refund 😠', N],
  ['meh 😐', U],
  ["It's ok 🤷", U],
  ['Arrived today 📦', U],
  ['Does the job, nothing special 😐', U],
  ['Average 🤷‍♂️', U],
  ["Haven't tried it yet 🤔", U],
  ['Blue, as pictured 🔵', U],
  ['Fine I guess 😶', U],
  ["Bought it for my mum 🎁 she hasn't opened it yet", U],
  ['Standard size 📏 nothing more to say', U],
];

// 8. Typos, all caps, missing punctuation.
const TYPOS: Row[] = [
  ['absolutly love ths mug use it evry day', P, 'typos'],
  ['BEST VACUUM I HAVE EVER OWNED', P, 'all caps'],
  ['grate product works perfect highly recomend', P, 'typos'],
  ['my son luvs it thx', P, 'typos'],
  ['soooo comfy cant beleive the price', P, 'typos'],
  ['AMAZING QUALITY!!! will deff buy again', P, 'caps + typos'],
  ['realy good book couldnt stop reading', P, 'typos'],
  ['fits perfectley and the colur is gorgeuos', P, 'typos'],
  ['excelent drill strong batery', P, 'typos'],
  ['this serum is amazng my skin never looked beter', P, 'typos'],
  ['DO NOT BUY!!! broke in 2 days', N, 'caps'],
  ['terible quality fell apart aftr one wash', N, 'typos'],
  ['WASTE OF MONEY DONT BOTHER', N, 'all caps'],
  ['worst charger ever stoped working in a week', N, 'typos'],
  ['the lid dosnt close and it leeks everywere', N, 'typos'],
  ['STILL NO REFUND AFTER 3 WEEKS!!!', N, 'all caps'],
  ['broke frist time my kid played with it very dissapointed', N, 'typos'],
  ['smels horible and gave me a rash', N, 'typos'],
  ['chair wobbels screws missing dont recomend', N, 'typos'],
  ['cheap junk screen craked wen i put it on', N, 'typos'],
  ['its ok does wat it says', U, 'typos'],
  ['ARRIVED ON TIME. SIZE AS DESCRIBED.', U, 'all caps'],
  ['havent used it yet will updat', U, 'typos'],
  ['normal shampoo nothin special', U, 'typos'],
];

// 7. Long reviews: many sentences of neutral detail, the verdict at the start, the end, or both.
interface Category {
  name: string;
  product: string;
  /** Devices have manuals, warranties and serial numbers; goods (food, clothing, toys) do not. */
  device: boolean;
  details: string[];
  uses: string[];
  fail: string[];
  praise: string[];
}

const CATEGORIES: Category[] = [
  {
    name: 'kitchen',
    product: 'blender',
    device: true,
    details: [
      'The base is about 20 centimetres wide and the jug holds 1.5 litres, with marks on the side in millilitres and cups.',
      'It has three speed settings, a pulse button and a separate program for crushing ice.',
      'The blade assembly unscrews from the bottom of the jug for cleaning.',
      'In the box were the motor base, the glass jug, a lid with a removable measuring cap, a tamper and a recipe booklet.',
      'The power cord is roughly a metre long and tucks into a channel underneath the base.',
      'The motor is rated at 1,000 watts according to the sticker on the bottom.',
      'Four rubber feet hold it in place on the worktop.',
      'The jug locks onto the base with a quarter turn, and the motor will not start unless it is seated correctly.',
      'I mostly use it for smoothies in the morning and soup in the evening.',
      'The recipe booklet has about twenty recipes, mostly smoothies and a few sauces.',
      'The lid has a rubber seal around the edge and a cap in the middle that can be removed to add ingredients.',
      'It is finished in brushed silver with black buttons on the front.',
    ],
    uses: [
      'made a banana smoothie twice and a batch of tomato soup',
      'crushed ice for drinks at a family barbecue',
      'blended hummus and a jar of pesto',
      'made pancake batter on Sunday morning',
      'used it for soup three evenings in a row',
      'made puree for my baby niece',
    ],
    fail: [
      'Then one morning the motor started to smell of burning halfway through a smoothie, and seconds later it burned out completely.',
      'Now it will not turn on at all, whichever button I press.',
    ],
    praise: [
      'It crushes ice in seconds and the smoothies come out completely smooth, without any bits of fruit skin.',
      'It is also quieter than my old one and cleans up in a minute.',
    ],
  },
  {
    name: 'electronics',
    product: 'Bluetooth speaker',
    device: true,
    details: [
      'The speaker is roughly the size of a large water bottle and weighs a little under a kilogram.',
      'It charges through a USB-C port under a rubber flap at the back.',
      'The box contained the speaker, a short USB-C cable, a wrist strap and a quick-start card.',
      'There are five buttons on top: power, volume up, volume down, play and Bluetooth pairing.',
      'Pairing with my phone took about ten seconds the first time.',
      'The fabric cover is dark grey and the buttons are printed in white.',
      'There is a companion app with an equaliser, which I have left on the default setting.',
      'The listed battery life is twelve hours at medium volume.',
      'There is a 3.5 mm input for devices without Bluetooth.',
      'A small ring of lights around the power button shows the battery level.',
      'It is rated IPX5, which the manual describes as splash resistant rather than waterproof.',
      'Two of them can be paired together for stereo, although I only bought one.',
    ],
    uses: [
      'listened to a podcast while cooking dinner',
      'took it to the park on Saturday afternoon',
      'played the radio in the bathroom while getting ready',
      'played music at a small birthday party',
      'left it on the balcony while repotting some plants',
      'used it for a video call when my laptop speakers were too quiet',
    ],
    fail: [
      'Then it stopped holding a charge: it now dies after about twenty minutes, and the sound crackles at any volume above half.',
      'A few days later it would not switch on at all.',
    ],
    praise: [
      'The sound is rich and clear even at high volume, and the bass is far better than I expected from something this size.',
      'The battery easily lasts a full weekend.',
    ],
  },
  {
    name: 'clothing',
    product: 'winter coat',
    device: false,
    details: [
      'I ordered a size medium from the size chart; I am 178 centimetres tall and weigh about 75 kilograms.',
      'The coat is navy blue with a detachable hood and a two-way zip.',
      'It has two zipped hand pockets, one inside chest pocket and a small sleeve pocket for a travel card.',
      'The label says the shell is polyester and the filling is a mix of down and feathers.',
      'The sleeves finish with elasticated cuffs under an outer cuff with a snap button.',
      'It came folded in a plastic bag with a spare button and a care label sewn to the inside seam.',
      'The care label says to wash it at 30 degrees on a gentle cycle and tumble dry on low with tennis balls.',
      'The length reaches just below my hips.',
      'The hood is held on with six press studs and can be adjusted with a toggle at the back.',
      'There is a storm flap over the zip that closes with Velcro.',
      'I mostly wear it for the walk to the station and for weekend walks with the dog.',
      'It packs down into its own inside pocket, although that takes some squeezing.',
    ],
    uses: [
      'wore it on the commute all week',
      'wore it for a long walk by the river',
      'took it on a weekend trip to the mountains',
      'wore it to a football match',
      'washed it once, following the care label',
      'wore it in light rain on the way to work',
    ],
    fail: [
      'Then the zip pulled away from the fabric on one side, and feathers started leaking out of every seam.',
      'After the one wash the label recommends, the filling bunched into lumps, and it no longer keeps me warm at all.',
    ],
    praise: [
      'It is wonderfully warm on the coldest mornings without feeling bulky.',
      'The stitching is neat everywhere and it still looks brand new.',
    ],
  },
  {
    name: 'toys',
    product: 'building set',
    device: false,
    details: [
      'The set has 640 pieces and the box says it is for ages eight and up.',
      'The pieces come in eleven numbered bags that match the stages of the instruction booklet.',
      'The instruction booklet is about 120 pages long, with one or two steps on each page.',
      'The finished model is a fire station about 35 centimetres wide, with a small truck and four figures.',
      'There is a sticker sheet for the signs and the number plate.',
      'My son, who is nine, built it over three afternoons with a little help from me.',
      'Most bags include a few spare small pieces.',
      'The box is quite large and the sealed bags rattle around inside it.',
      'The model has a ladder that swings out and a door that slides up.',
      'A brick separator tool is included in the first bag.',
      'The colours are mainly red, white and grey.',
      'It fits with the other sets from the same range that we already own.',
    ],
    uses: [
      'watched my son play with it after school',
      'added it to a bigger town layout on the bedroom floor',
      'helped his friends use it in a game when they came over',
      'took it apart and rebuilt it from the instructions',
      'left it on the shelf for display',
      'let my daughter borrow the figures for her own game',
    ],
    fail: [
      'But many of the pieces do not click together properly, so the ladder and the roof fall off whenever it is picked up.',
      'Two of the figures also broke at the neck.',
    ],
    praise: [
      'The pieces fit together perfectly, and my son was proud and delighted with the result.',
      'It has been his favourite toy ever since.',
    ],
  },
  {
    name: 'beauty',
    product: 'hair dryer',
    device: true,
    details: [
      'The dryer has three heat settings, two speed settings and a cool shot button.',
      'It came with a concentrator nozzle and a diffuser that both clip onto the front.',
      'The cord is about 2.5 metres long and has a hanging loop at the end.',
      'The handle folds in half for storage.',
      'It is rated at 2,200 watts.',
      'The filter at the back twists off for cleaning.',
      'The colour is a pale rose gold with a white handle.',
      'It weighs about 550 grams without attachments.',
      'My hair is shoulder length and fairly thick.',
      'The box contained the dryer, both attachments, a storage pouch and a small manual.',
      'The switches are on the inside of the handle, where my thumb rests.',
      'There is an ionic setting, which the manual says reduces frizz.',
    ],
    uses: [
      'dried my hair before an early meeting',
      'used the diffuser on a Sunday',
      "took it away for a weekend at my sister's",
      "dried my daughter's hair after her swimming lesson",
      'cleaned the filter as described in the manual',
      'used the cool shot to set my fringe',
    ],
    fail: [
      'Then it began to smell of burning plastic and cut out after a minute or two of use.',
      'The last time, sparks came out of the back, so I unplugged it and threw it away.',
    ],
    praise: [
      'It dries my hair in half the time of my old one and leaves it smooth and shiny.',
      'I honestly love using it.',
    ],
  },
  {
    name: 'tools',
    product: 'cordless drill',
    device: true,
    details: [
      'The drill is an 18-volt model and came with two 2 Ah batteries and a charger.',
      'Everything came in a hard plastic carry case with moulded slots for each part.',
      'It has a two-speed gearbox and a clutch with 21 settings.',
      'The keyless chuck takes bits up to 13 millimetres.',
      'A small light under the chuck comes on when the trigger is pressed.',
      'The charger takes about an hour to fill a battery, according to the manual.',
      'A belt clip can be screwed to either side of the body.',
      'The body is green and black with a rubber grip on the handle.',
      'There is a hammer mode for masonry, selected on the same ring as the clutch.',
      'I bought it to put up shelves, assemble a wardrobe and hang a few pictures.',
      'The case also has space for a set of bits, which were not included.',
      'It weighs about 1.5 kilograms with a battery fitted.',
    ],
    uses: [
      'put up two shelves in the spare room',
      'assembled a flat-pack wardrobe',
      'drilled pilot holes for a fence repair',
      'hung curtain rails in the living room',
      'built a raised bed for the garden',
      'lent it to my neighbour for a weekend',
    ],
    fail: [
      'Then the motor burned out halfway through screwing in a hinge, with a smell of hot metal and a puff of smoke.',
      'One of the batteries had already stopped charging before that.',
    ],
    praise: [
      'It has plenty of power, drives every screw cleanly, and the batteries last far longer than I expected.',
      'It feels like a professional tool for a hobby price.',
    ],
  },
  {
    name: 'furniture',
    product: 'bookcase',
    device: false,
    details: [
      'The bookcase is 180 centimetres tall, 80 centimetres wide and 30 centimetres deep.',
      'It came flat-packed in two boxes with a total weight of about 40 kilograms.',
      'There are five shelves, three of which can be moved to different heights.',
      'The finish is a light oak effect on chipboard.',
      'Assembly took me about two hours on my own with the supplied Allen key and my own screwdriver.',
      'The instructions are pictures only, with numbered steps.',
      'All the fixings came in a plastic tray sorted by letter.',
      'A wall strap is included to stop it tipping over.',
      'The back panel is thin hardboard fixed on with small nails.',
      'Each shelf is rated for fifteen kilograms according to the leaflet.',
      'The couriers carried both boxes up to my flat on the second floor.',
      'It stands in the corner of the living room next to the window.',
    ],
    uses: [
      'moved my paperbacks onto it',
      'added a row of photo frames on the top shelf',
      'moved the shelves to fit some taller art books',
      'put a trailing plant on the top',
      'moved it to the other wall when we redecorated',
      'filled the bottom shelf with board games',
    ],
    fail: [
      'Then the middle shelves started to bow under an ordinary row of paperbacks, and one side panel split around a screw.',
      'The whole thing now leans to one side.',
    ],
    praise: [
      'It is solid and perfectly level, the shelves have not sagged at all under heavy books, and it looks far more expensive than it was.',
      'It is exactly what I wanted.',
    ],
  },
  {
    name: 'garden',
    product: 'electric lawn mower',
    device: true,
    details: [
      'The mower has a 37 centimetre cutting width and a 40 litre grass box.',
      'It runs on mains power with a ten metre cable.',
      'There are six cutting heights, set with a single lever on the side.',
      'Assembly meant attaching the handle with two knobs and clipping on the grass box, which took fifteen minutes.',
      'The deck is plastic and the blade is steel.',
      'The box contained the mower, the handle, the grass box, a cable clip and a manual.',
      'Our lawn is about 60 square metres, with a slight slope at one end.',
      'The handle folds flat so it can hang on a hook in the shed.',
      'It is bright orange with a black handle.',
      'The safety switch needs two hands: one on the button and one on the bar.',
      'The manual recommends feeding the cable over your shoulder as you go.',
      'Spare blades are sold separately.',
    ],
    uses: [
      'mowed the front lawn on a Saturday morning',
      'cut the back garden after a week of rain',
      'mowed both lawns before a family barbecue',
      'cut the grass on the highest setting during a dry spell',
      'emptied the grass box into the compost bin',
      'mowed the verge outside the house',
    ],
    fail: [
      'Then the motor burned out in the middle of the lawn, and after that it would not start at all.',
      'The grass box had also cracked along the bottom.',
    ],
    praise: [
      'It cuts cleanly, the grass box catches almost everything, and the lawn has never looked so neat.',
      'It is light and easy to push, even up the slope.',
    ],
  },
  {
    name: 'phone accessories',
    product: 'power bank',
    device: true,
    details: [
      'The power bank is rated at 20,000 mAh and is about the size of a deck of cards, though thicker.',
      'It has two USB-A ports and one USB-C port that works as both input and output.',
      'Four small lights on the side show how much charge is left.',
      'The box contained the power bank, a short USB-C cable and a travel pouch.',
      'It weighs about 350 grams.',
      'The outside is matte black plastic with a textured edge.',
      'The manual says it supports 20 watt fast charging over USB-C.',
      'It takes about six hours to recharge fully from a wall charger.',
      'My phone is a two-year-old model with a 4,000 mAh battery.',
      'A single button turns on the lights to check the level.',
      'It can charge two devices at the same time.',
      'The listing says it is allowed in cabin luggage on flights.',
    ],
    uses: [
      'kept it in my bag on the commute',
      'took it on a weekend camping trip',
      'charged my phone and headphones from it on a long train journey',
      'charged my tablet from it during a power cut',
      'took it on a flight in my cabin bag',
      'lent it to a colleague at a conference',
    ],
    fail: [
      'Then it stopped charging my phone at all, and the casing swelled up so much that it no longer sits flat on the table.',
      'I am frankly worried it could catch fire.',
    ],
    praise: [
      'It charges my phone fully more than four times and stays cool while doing it.',
      'It has saved me on every trip since.',
    ],
  },
  {
    name: 'food',
    product: 'bag of coffee beans',
    device: false,
    details: [
      'The bag holds one kilogram of whole beans and has a one-way valve and a zip seal.',
      'The beans are a medium roast from a single estate, according to the label.',
      'The roast date printed on the bag was about ten days before it arrived.',
      'I grind them at home in a burr grinder.',
      'I make mostly espresso and the occasional filter coffee.',
      'The tasting notes on the label say chocolate, hazelnut and red fruit.',
      'The bag is brown paper with a printed map of the region where the coffee is grown.',
      'I keep the beans in an airtight tin once the bag is opened.',
      'The listing offers the beans whole or ground, and I chose whole.',
      'A kilogram lasts our household about three weeks.',
      'I use about eighteen grams per double shot.',
      'The label says the farm is at an altitude of around 1,600 metres.',
    ],
    uses: [
      'made flat whites for the whole household',
      'brewed a pot of filter coffee for guests',
      'made iced coffee during a warm spell',
      'took some ground coffee on a camping trip',
      'made espresso for my parents after Sunday lunch',
      'tried it as a cold brew overnight',
    ],
    fail: [
      'But the beans were oily and stale, the coffee tastes bitter and burnt whatever I change, and there were small stones in the bag.',
      'Half the bag has gone in the bin.',
    ],
    praise: [
      'The coffee is delicious: smooth, sweet and full of flavour, easily the best I have bought online.',
      'I have already set up a regular order.',
    ],
  },
];

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Neutral sentences about ordering and delivery; `device` ones only for products with manuals. */
function genericSentences(c: Category, r: () => number): string[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const day = pick(DAYS);
  const hour = int(8, 16);
  const s = [
    `I ordered the ${c.product} on a ${day} evening and it arrived ${int(2, 5)} days later.`,
    'The courier left the parcel with a neighbour because I was at work.',
    `The outer box was about ${int(30, 80)} by ${int(20, 50)} centimetres and sealed with brown tape.`,
    'I paid for standard delivery rather than express.',
    'Tracking updated a few times and showed the parcel passing through a depot in another city.',
    'I have kept the original box in the loft in case I need it later.',
    'I compared it with two similar listings before choosing this one, mainly on size and price.',
    'The order confirmation email arrived straight away, and a dispatch email followed the next day.',
    'I paid by card, and the total was the price on the listing with no extra charges.',
    `The delivery slot was ${hour}:00 to ${hour + 2}:00, and the parcel turned up within it.`,
    'I bought it with my own money and nobody asked me to write this review.',
    'Other people in the house have used it as well, so this is not only my experience.',
    'I read the product description and the questions section carefully before ordering.',
    'The delivery note was in the box along with a printed invoice.',
  ];
  if (c.device) {
    s.push(
      `The manual is printed in ${int(6, 14)} languages, with English first.`,
      'Inside, it was wrapped in a plastic bag with cardboard inserts at both ends.',
      `For context, it replaces an older one that I had for about ${int(3, 9)} years.`,
      'I live in a small flat, so size matters to me.',
      "There was a leaflet about the warranty and a QR code linking to the maker's website.",
      "I registered it on the brand's website for the warranty, which took a few minutes.",
      'The serial number is printed on a sticker on the underside.',
      "The seller's page lists a one-year warranty.",
    );
  }
  return s;
}

function verdicts(c: Category, r: () => number) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
  const negEnd = [
    ...c.fail,
    pick([
      'I contacted the seller for a refund, and they refused, saying the fault was caused by misuse.',
      'The seller refused a refund and stopped answering my messages after the second email.',
      'Customer service promised a replacement that never came, and now they do not reply at all.',
    ]),
    pick([
      'Avoid this product.',
      'Save your money and buy something else.',
      'It was a complete waste of money, and I would not buy anything from this brand again.',
      'I am very disappointed. Do not buy it.',
    ]),
  ];
  const negStart = pick([
    `Short version: do not buy this ${c.product}. It failed, and the seller would not give me my money back.`,
    `I regret buying this ${c.product}; avoid it, and read on if you want to know why.`,
    `One line for anyone in a hurry: this ${c.product} is junk and the seller refused a refund.`,
  ]);
  const posEnd = [
    ...c.praise,
    pick([
      'I am delighted with it and would buy it again without hesitation.',
      'Highly recommended.',
      'It is easily one of the best purchases I have made this year.',
      'I have already recommended it to two friends, and I would happily buy another.',
    ]),
  ];
  const posStart = pick([
    `Short version: I love this ${c.product} and would recommend it to anyone.`,
    `This is a brilliant ${c.product}, and the details below are for anyone who wants them.`,
    `In a word: excellent. I am really pleased with this ${c.product}.`,
  ]);
  const neuEnd = [
    pick([
      `All in all it is an ordinary ${c.product}. It does what the listing says, no more and no less.`,
      `It is fine, neither better nor worse than the ${c.product} it replaced.`,
      `Overall it is an average ${c.product} for an average price.`,
    ]),
    pick([
      'I have no strong feelings about it either way.',
      'Nothing stands out, good or bad.',
      'It is okay, and that is about all I can say.',
    ]),
  ];
  const neuStart = `Short version: an ordinary ${c.product}, fine but unremarkable.`;
  return { negEnd, negStart, posEnd, posStart, neuEnd, neuStart };
}

type Placement = 'end' | 'start' | 'both' | 'none';

/** Composes one long review: optional opening verdict, neutral detail paragraphs, optional closing verdict. */
function longReview(c: Category, expected: Sentiment, placement: Placement, target: number, r: () => number): string {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const generic = shuffleInPlace(genericSentences(c, r), r);
  const details = shuffleInPlace([...c.details], r);
  const body: string[] = [...generic.splice(0, int(2, 4)), ...details, ...generic];
  const v = verdicts(c, r);
  const start = { negative: v.negStart, positive: v.posStart, neutral: v.neuStart }[expected];
  const end = { negative: v.negEnd, positive: v.posEnd, neutral: v.neuEnd }[expected];
  const head = placement === 'start' || placement === 'both' ? [start] : [];
  const tail = placement === 'end' || placement === 'both' ? end : [];
  const len = (xs: string[]) => xs.join(' ').length;
  const out: string[] = [];
  while (body.length > 0 && len([...head, ...out]) < target) out.push(body.shift() as string);
  // Still short: a usage log, one dated entry after another.
  let month = int(0, 2);
  let date = int(1, 10);
  while (len([...head, ...out]) < target) {
    const [a, b] = shuffleInPlace([...c.uses], r);
    const when = `${MONTHS[month % MONTHS.length]} ${date}`;
    const templates = [
      `On ${when}, I ${a}, and a few days later I ${b}.`,
      `Around ${when} I ${a}.`,
      `In the week of ${when}, I ${a} and ${b}.`,
      `On ${when} I ${a}.`,
    ];
    out.push(templates[int(0, templates.length - 1)] as string);
    date += int(3, 9);
    if (date > 28) {
      date -= 28;
      month++;
    }
  }
  const paragraphs: string[] = [];
  for (let i = 0; i < out.length; ) {
    const k = int(3, 5);
    paragraphs.push(out.slice(i, i + k).join(' '));
    i += k;
  }
  return [...(head.length ? [head.join(' ')] : []), ...paragraphs, ...(tail.length ? [tail.join(' ')] : [])].join(
    '\n\n',
  );
}

function longReviews(): Row[] {
  const r = seededRandom(SEED);
  const plan: Array<[Sentiment, Placement]> = [
    ...(['end', 'start', 'both', 'end', 'both', 'start', 'end', 'both', 'end', 'start', 'both', 'end'] as const).map(
      (p) => [N, p] as [Sentiment, Placement],
    ),
    ...(['end', 'start', 'both', 'end', 'both', 'start', 'end', 'both', 'end', 'start'] as const).map(
      (p) => [P, p] as [Sentiment, Placement],
    ),
    ...(['none', 'none', 'none', 'none', 'end', 'end', 'start', 'both'] as const).map(
      (p) => [U, p] as [Sentiment, Placement],
    ),
  ];
  const cats = shuffleInPlace(
    plan.map((_, i) => CATEGORIES[i % CATEGORIES.length] as Category),
    r,
  );
  return plan.map(([expected, placement], i) => {
    const c = cats[i] as Category;
    const target = i % 3 === 2 ? 4_500 + Math.floor(r() * 7_000) : 1_600 + Math.floor(r() * 2_900);
    const text = longReview(c, expected, placement, target, r);
    if (text.length < 1_500 || text.length > 15_000) throw new Error(`long review ${i} is ${text.length} chars`);
    const where = placement === 'none' ? 'detail only, no verdict' : `verdict at ${placement}`;
    return [text, expected, `${c.name} (${c.product}), ${where}, ${text.length} chars`] as Row;
  });
}

const GROUPS: Array<[Capability, Row[]]> = [
  ['negation', NEGATION],
  ['contrast', CONTRAST],
  ['rating_statement', RATING],
  ['neutral', NEUTRAL],
  ['sarcasm_negative_fact', SARCASM],
  ['emoji', EMOJI],
  ['long_review', longReviews()],
  ['typos_and_casing', TYPOS],
];

const cases: BehaviourCase[] = GROUPS.flatMap(([capability, rows]) =>
  rows.map(([text, expected, note], i) => ({
    id: `${capability}-${String(i + 1).padStart(3, '0')}`,
    capability,
    text,
    expected,
    ...(note ? { note } : {}),
  })),
);
const texts = new Set<string>();
for (const c of cases) {
  if (texts.has(c.text)) throw new Error(`duplicate text in ${c.id}`);
  texts.add(c.text);
}
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ version: 1, cases }, null, 2)}\n`);
const counts = GROUPS.map(([cap, rows]) => {
  const by = (s: Sentiment) => rows.filter((x) => x[1] === s).length;
  return `${cap}: ${rows.length} (pos ${by(P)}, neu ${by(U)}, neg ${by(N)})`;
});
process.stdout.write(`wrote ${cases.length} cases to ${OUT}\n${counts.join('\n')}\n`);
